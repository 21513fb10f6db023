import {execFile} from 'node:child_process';
import {open, readFile, symlink, truncate, writeFile, mkdir} from 'node:fs/promises';
import * as path from 'node:path';
import {promisify} from 'node:util';
import anyTest from 'ava';
import type {ExecutionContext, TestFn} from 'ava';
import {readBeamSnapshot} from '../../../daemon/beam/beam-snapshot.ts';
import {boundedFileReader} from '../../../daemon/beam/read-file-once.ts';
import {ReloaderError} from '../../../daemon/errors.ts';
import {compileModule, makeTemporaryDirectory} from './_beams.ts';

/**
 * Every beam read is bounded: only regular files are opened, at most the
 * header's declared length is read, and a header declaring more than the
 * limit is refused after 12 bytes. Nothing here waits on a FIFO or reads a device.
 */
const test = anyTest as TestFn<{beam: Buffer}>;

let removeCompiled: (() => Promise<void>) | undefined;
test.before(async t => {
	const {directory, remove} = await makeTemporaryDirectory();
	removeCompiled = remove;
	const beamPath = await compileModule(directory, 'ebin', 'tiny', '-module(tiny).\n-export([hello/0]).\nhello() -> ok.\n');
	t.context = {beam: await readFile(beamPath)};
});
test.after.always(async () => {
	await removeCompiled?.();
});

async function scratch(t: ExecutionContext<{beam: Buffer}>): Promise<string> {
	const {directory, remove} = await makeTemporaryDirectory();
	t.teardown(remove);
	return directory;
}

async function refused(t: ExecutionContext<{beam: Buffer}>, file: string, expected: RegExp): Promise<ReloaderError | undefined> {
	const error = await t.throwsAsync(readBeamSnapshot(file), {instanceOf: ReloaderError});
	t.regex(error?.message ?? '', expected);
	t.false(error?.retryable);
	return error;
}

test('a FIFO is refused with its kind, never opened for a blocking read', async t => {
	const fifo = path.join(await scratch(t), 'pipe.beam');
	await promisify(execFile)('mkfifo', [fifo]);
	await refused(t, fifo, /pipe\.beam" is a FIFO, not a regular file; skipped, never opened/);
});

test('a symlink to /dev/zero is refused as a link to a character device', async t => {
	const link = path.join(await scratch(t), 'zzero.beam');
	await symlink('/dev/zero', link);
	await refused(t, link, /zzero\.beam" is a symbolic link to a character device, not a regular file/);
});

test('a dangling symlink is refused as such, and its target is not shown', async t => {
	const link = path.join(await scratch(t), 'dangling.beam');
	await symlink('/nonexistent/secret-target', link);
	const error = await refused(t, link, /dangling\.beam" is a dangling symbolic link, not a regular file/);
	t.false(error?.message.includes('secret-target'));
});

test('a directory named *.beam is refused as a directory', async t => {
	const directory = path.join(await scratch(t), 'x.beam');
	await mkdir(directory);
	await refused(t, directory, /x\.beam" is a directory, not a regular file/);
});

test('a 500 MB sparse file whose header declares 500 MB is refused unread, giving the sizes', async t => {
	const file = path.join(await scratch(t), 'huge.beam');
	const size = 500 * 1024 * 1024;
	const header = Buffer.alloc(12);
	header.write('FOR1', 0, 'latin1');
	header.writeUInt32BE(size - 8, 4);
	header.write('BEAM', 8, 'latin1');
	await writeFile(file, header);
	await truncate(file, size);
	const rssBefore = process.memoryUsage().rss;
	await refused(t, file, /declares 524288000 bytes \(500\.0 MiB\) in its beam header, more than maxBeamBytes \(67108864 bytes \(64\.0 MiB\)\); skipped, not read/);
	t.true(process.memoryUsage().rss - rssBefore < 50 * 1024 * 1024);
});

test('a smaller limit refuses a real beam larger than it', async t => {
	const file = path.join(await scratch(t), 'tiny.beam');
	await writeFile(file, t.context.beam);
	const read = boundedFileReader({maxBytes: 100, timeoutMs: 5000});
	const error = await t.throwsAsync(read(file), {instanceOf: ReloaderError});
	t.regex(error?.message ?? '', /more than maxBeamBytes \(100 bytes\)/);
});

test('a beam with a 500 MB tail is invalid with its real size, and only the declared length is read', async t => {
	const file = path.join(await scratch(t), 'tiny.beam');
	await writeFile(file, t.context.beam);
	await truncate(file, 500 * 1024 * 1024);
	const content = await boundedFileReader({maxBytes: 64 * 1024 * 1024, timeoutMs: 5000})(file);
	t.is(content?.bytes.byteLength, t.context.beam.byteLength);
	t.is(content?.size, 500 * 1024 * 1024);
	const read = await readBeamSnapshot(file);
	t.like(read, {state: 'invalid'});
	t.regex(read.state === 'invalid' ? read.reason : '', /the file has 524288000 bytes but its header says/);
});

test('a file that is no beam is read no further than its header, and its text is not shown', async t => {
	const file = path.join(await scratch(t), 'shadow.beam');
	await writeFile(file, `root:$6$secret:19000:0:99999:7:::\n${'x'.repeat(100_000)}`);
	const content = await boundedFileReader({maxBytes: 64 * 1024 * 1024, timeoutMs: 5000})(file);
	t.is(content?.bytes.byteLength, 12);
	const read = await readBeamSnapshot(file);
	t.like(read, {state: 'invalid'});
	t.false(JSON.stringify(read).includes('root'));
});

test('a growing beam is read as far as it is written: incomplete', async t => {
	const file = path.join(await scratch(t), 'tiny.beam');
	const handle = await open(file, 'w');
	await handle.write(t.context.beam.subarray(0, 40));
	const read = await readBeamSnapshot(file);
	t.like(read, {state: 'incomplete', actualSize: 40, expectedSize: t.context.beam.byteLength});
	await handle.write(t.context.beam.subarray(40));
	await handle.close();
	t.like(await readBeamSnapshot(file), {state: 'complete', snapshot: {module: 'tiny', size: t.context.beam.byteLength}});
});
