import {createHash} from 'node:crypto';
import {readFile, stat, writeFile} from 'node:fs/promises';
import * as path from 'node:path';
import anyTest from 'ava';
import type {TestFn} from 'ava';
import {readBeamSnapshot} from '../../../daemon/beam/beam-snapshot.ts';
import {ReloaderError} from '../../../daemon/errors.ts';
import {compileModule, makeTemporaryDirectory} from './_beams.ts';

const test = anyTest as TestFn<{beam: Buffer; beamPath: string}>;

const SOURCE = '-module(tiny).\n-export([hello/0]).\nhello() -> {ok, "world"}.\n';

test.before(async t => {
	// One compile for the whole file; the directory goes in test.after.always.
	const {directory, remove} = await makeTemporaryDirectory();
	removeCompiled = remove;
	const beamPath = await compileModule(directory, 'ebin', 'tiny', SOURCE);
	t.context = {beamPath, beam: await readFile(beamPath)};
});

let removeCompiled: (() => Promise<void>) | undefined;
test.after.always(async () => {
	await removeCompiled?.();
});

/** A scratch directory for one test, removed when it ends. */
async function scratch(t: {teardown: (fn: () => Promise<void>) => void}): Promise<string> {
	const {directory, remove} = await makeTemporaryDirectory();
	t.teardown(remove);
	return directory;
}

test('a beam written by erlc is complete: one snapshot with its size, mtime, digest, module, vsn and code MD5', async t => {
	const read = await readBeamSnapshot(t.context.beamPath);
	const stats = await stat(t.context.beamPath);
	if (read.state !== 'complete') {
		t.fail(`expected a complete beam, got ${read.state}`);
		return;
	}
	const {snapshot} = read;
	t.like(snapshot, {path: t.context.beamPath, size: stats.size, mtimeMs: stats.mtimeMs, module: 'tiny', digest: createHash('md5').update(t.context.beam).digest('hex')});
	t.regex(snapshot.vsn ?? '', /^[\da-f]{32}$/);
	t.regex(snapshot.codeMd5, /^[\da-f]{32}$/);
	t.true(Object.isFrozen(snapshot));
	t.is(read.fingerprint, `${stats.size}:${stats.mtimeMs}:${snapshot.digest}`);
	t.is(t.context.beam.readUInt32BE(4) + 8, stats.size);
});

test('a whole container with broken chunks is invalid, not complete', async t => {
	const directory = await scratch(t);
	const broken = path.join(directory, 'broken.beam');
	const {beam} = t.context;
	// Same length, but the first chunk's size field now points past the end.
	const copy = Buffer.from(beam);
	copy.writeUInt32BE(0xFF_FF_FF, 16);
	await writeFile(broken, copy);
	const read = await readBeamSnapshot(broken);
	t.is(read.state, 'invalid');
	t.regex(read.state === 'invalid' ? read.reason : '', /claims/);
});

test('truncated copies are incomplete with the expected and actual sizes', async t => {
	const directory = await scratch(t);
	const {beam} = t.context;
	for (const size of [0, 1, 4, 7, 8, 11, 12, 13, 100, beam.length - 1]) {
		const copy = path.join(directory, `tiny-${size}.beam`);
		await writeFile(copy, beam.subarray(0, size));
		const read = await readBeamSnapshot(copy);
		const expectedSize = size < 8 ? 12 : beam.length;
		t.like(read, {state: 'incomplete', expectedSize, actualSize: size}, `truncated to ${size} bytes`);
	}
});

test('garbage is invalid and says what it found', async t => {
	const directory = await scratch(t);
	const garbage = path.join(directory, 'garbage.beam');
	await writeFile(garbage, 'this is not a beam file at all');
	const read = await readBeamSnapshot(garbage);
	t.like(read, {state: 'invalid', reason: 'expected "FOR1" at offset 0, found 4 bytes: 74 68 69 73: not a beam file'});
});

test('a beam with bytes appended is invalid', async t => {
	const directory = await scratch(t);
	const longer = path.join(directory, 'longer.beam');
	await writeFile(longer, Buffer.concat([t.context.beam, Buffer.alloc(3)]));
	const read = await readBeamSnapshot(longer);
	t.is(read.state, 'invalid');
	t.regex(read.state === 'invalid' ? read.reason : '', /3 too many/);
});

test('a missing file is missing', async t => {
	const directory = await scratch(t);
	t.deepEqual(await readBeamSnapshot(path.join(directory, 'gone.beam')), {state: 'missing'});
});

test('a directory is refused with its kind, never opened', async t => {
	const directory = await scratch(t);
	const error = await t.throwsAsync(readBeamSnapshot(directory), {instanceOf: ReloaderError});
	t.is(error?.code, 'ERR_BEAM_UNREADABLE');
	t.true(error?.message.includes(`${JSON.stringify(directory)} is a directory, not a regular file`), error?.message);
	t.false(error?.retryable);
});
