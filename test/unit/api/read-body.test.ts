import {Readable} from 'node:stream';
import test from 'ava';
import {ApiError} from '../../../daemon/api/api-error.ts';
import {readBody, type BodySource} from '../../../daemon/api/read-body.ts';

function body(chunks: Iterable<Buffer> | AsyncIterable<Buffer>, headers: Record<string, string> = {}): BodySource {
	return Object.assign(Readable.from(chunks, {objectMode: false}), {headers});
}

test('a body within the limit is read whole', async t => {
	const read = await readBody(body([Buffer.from('["mod'), Buffer.from('_a"]')]), 64);
	t.is(read.toString(), '["mod_a"]');
});

test('a body of exactly the limit is read', async t => {
	t.is((await readBody(body([Buffer.alloc(64, 0x61)]), 64)).length, 64);
});

test('a Content-Length over the limit is refused with 413 before a byte is read', async t => {
	let pulled = 0;
	const source = body((function * () {
		pulled++;
		yield Buffer.alloc(10);
	})(), {'content-length': '70000'});
	const error = await t.throwsAsync(readBody(source, 65_536), {instanceOf: ApiError});
	t.is(error?.status, 413);
	t.is(error?.code, 'ERR_API_BODY_TOO_LARGE');
	t.regex(error?.message ?? '', /Content-Length is 70000 bytes; the limit is 65536 bytes/);
	t.is(error?.headers.Connection, 'close');
	t.is(pulled, 0);
	source.destroy();
});

test('a chunked body that grows past the limit is refused as soon as it does, and reading stops', async t => {
	let pulled = 0;
	// Endless: reading it all would never end.
	const source = body((function * () {
		for (;;) {
			pulled++;
			yield Buffer.alloc(1024);
		}
	})());
	const error = await t.throwsAsync(readBody(source, 4096), {instanceOf: ApiError});
	t.is(error?.status, 413);
	t.regex(error?.message ?? '', /grew past 4096 bytes/);
	t.true(source.isPaused());
	t.true(pulled < 100, `pulled ${pulled} chunks`);
	source.destroy();
});

test('a body that breaks off is a 400 saying so', async t => {
	const source = body((async function * () {
		yield Buffer.from('["mod_a"');
		throw new Error('socket hang up');
	})());
	const error = await t.throwsAsync(readBody(source, 1024), {instanceOf: ApiError});
	t.is(error?.status, 400);
	t.is(error?.code, 'ERR_API_BODY_READ');
	t.regex(error?.message ?? '', /socket hang up/);
});

test('beforeRead runs once the body is wanted, not for a refused Content-Length', async t => {
	let continued = 0;
	await readBody(body([Buffer.from('[]')]), 64, () => continued++);
	t.is(continued, 1);
	await t.throwsAsync(readBody(body([], {'content-length': '65'}), 64, () => continued++));
	t.is(continued, 1);
});
