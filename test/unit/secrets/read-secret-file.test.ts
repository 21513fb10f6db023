import {execFile} from 'node:child_process';
import {chmod, mkdir, mkdtemp, rm, symlink, truncate, writeFile} from 'node:fs/promises';
import {createServer} from 'node:net';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {promisify} from 'node:util';
import test, {type ExecutionContext} from 'ava';
import {MAX_SECRET_FILE_BYTES, readSecretFile} from '../../../daemon/secrets/read-secret-file.ts';
import {SmallFileError} from '../../../daemon/secrets/read-small-file.ts';

/**
 * Whatever the file is, reading a secret ends at once: a FIFO or a device is
 * refused by its kind before it is opened, a huge file by its size before a
 * byte is read. A test that hangs fails on its timeout instead of stalling.
 */
const COOKIE = {encoding: 'latin1', what: 'Erlang cookie file', chmod: '400'} as const;
let dir = '';

test.before(async () => {
	dir = await mkdtemp(join(tmpdir(), 'reloader-secrets-'));
});

test.after.always(async () => {
	await rm(dir, {recursive: true, force: true});
});

async function mkfifo(name: string): Promise<string> {
	const file = join(dir, name);
	await promisify(execFile)('mkfifo', [file]);
	return file;
}

/** Read as a cookie and expect a refusal; returns it and how long it took (logged, never asserted). */
async function refused(t: ExecutionContext, file: string): Promise<SmallFileError> {
	t.timeout(10_000, `reading ${file} must be refused at once, not hang`);
	const started = performance.now();
	const error = await t.throwsAsync(readSecretFile(file, COOKIE), {instanceOf: SmallFileError});
	t.log(`refused in ${(performance.now() - started).toFixed(2)} ms: ${error.message}`);
	t.is(error.path, file);
	return error;
}

test('a regular file is read; trailing bytes kept for the caller to trim', async t => {
	const file = join(dir, 'cookie');
	await writeFile(file, 'SECRETCOOKIE\n', {mode: 0o400});
	const read = await readSecretFile(file, COOKIE);
	t.is(read.text, 'SECRETCOOKIE\n');
	t.is(read.openWarning, undefined);
});

test('a file others may read comes with a warning naming it and the chmod to run', async t => {
	const file = join(dir, 'open-cookie');
	await writeFile(file, 'SECRETCOOKIE');
	await chmod(file, 0o644);
	const read = await readSecretFile(file, COOKIE);
	t.regex(read.openWarning ?? '', /open-cookie is open to its group and others \(mode 644\).*chmod 400/);
	t.notRegex(read.openWarning ?? '', /SECRETCOOKIE/);
});

test('/dev/zero is refused as a character device, unread', async t => {
	const error = await refused(t, '/dev/zero');
	t.is(error.code, 'ERR_FILE_KIND');
	t.is(error.message, 'it is a character device, not a regular file');
});

test('a FIFO is refused at once, without waiting for a writer', async t => {
	const fifo = await mkfifo('cookie.fifo');
	const error = await refused(t, fifo);
	t.is(error.code, 'ERR_FILE_KIND');
	t.is(error.message, 'it is a FIFO, not a regular file');
});

test('a symlink to a FIFO is refused, naming both', async t => {
	const fifo = await mkfifo('target.fifo');
	const link = join(dir, 'link-to-fifo');
	await symlink(fifo, link);
	const error = await refused(t, link);
	t.is(error.message, 'it is a symbolic link to a FIFO, not a regular file');
});

test('a directory is refused', async t => {
	const directory = join(dir, 'a-directory');
	await mkdir(directory);
	const error = await refused(t, directory);
	t.is(error.message, 'it is a directory, not a regular file');
});

test('a socket is refused', async t => {
	const path = join(dir, 'a.sock');
	const server = createServer();
	await new Promise<void>(resolve => server.listen(path, resolve));
	t.teardown(() => server.close());
	const error = await refused(t, path);
	t.is(error.message, 'it is a socket, not a regular file');
});

test('a 1 GB sparse file is refused by its size, unread, with bounded memory', async t => {
	const file = join(dir, 'huge-cookie');
	await writeFile(file, '');
	await truncate(file, 1024 ** 3);
	const before = process.memoryUsage.rss();
	const error = await refused(t, file);
	const grew = process.memoryUsage.rss() - before;
	t.log(`RSS before ${(before / 1024 ** 2).toFixed(1)} MB, grew by ${(grew / 1024 ** 2).toFixed(2)} MB`);
	t.is(error.code, 'ERR_FILE_TOO_LARGE');
	t.is(error.message, 'it holds 1073741824 bytes (1.0 GiB), more than the 4096 bytes (4.0 KiB) such a file may hold; it was not read');
	// Reading it would have taken a gigabyte; a generous bound still tells the two apart.
	t.true(grew < 64 * 1024 ** 2, `RSS grew by ${grew} bytes`);
});

test('the size limit is inclusive', async t => {
	const exact = join(dir, 'exact');
	await writeFile(exact, 'x'.repeat(MAX_SECRET_FILE_BYTES), {mode: 0o600});
	t.is((await readSecretFile(exact, COOKIE)).text.length, MAX_SECRET_FILE_BYTES);
	const over = join(dir, 'over');
	await writeFile(over, 'x'.repeat(MAX_SECRET_FILE_BYTES + 1), {mode: 0o600});
	const error = await refused(t, over);
	t.regex(error.message, /^it holds 4097 bytes \(4\.0 KiB\), more than the 4096 bytes/);
});

test('a smaller limit can be given', async t => {
	const file = join(dir, 'small-limit');
	await writeFile(file, '12345', {mode: 0o600});
	await t.throwsAsync(readSecretFile(file, {...COOKIE, maxBytes: 4}), {code: 'ERR_FILE_TOO_LARGE', message: /it holds 5 bytes, more than the 4 bytes/});
});

test('a symlink to a regular file (and a chain of them) is read, the target\'s mode checked', async t => {
	const target = join(dir, 'real-cookie');
	await writeFile(target, 'LINKEDCOOKIE', {mode: 0o400});
	const link = join(dir, 'cookie-link');
	const chain = join(dir, 'cookie-link-link');
	await symlink(target, link);
	await symlink(link, chain);
	for (const file of [link, chain]) {
		const read = await readSecretFile(file, COOKIE);
		t.is(read.text, 'LINKEDCOOKIE');
		t.is(read.openWarning, undefined);
	}
});

test('a file with no size (like /proc files) is still bounded by what is read', async t => {
	const read = await readSecretFile('/proc/self/stat', {...COOKIE, maxBytes: MAX_SECRET_FILE_BYTES});
	t.true(read.text.length > 0);
	await t.throwsAsync(readSecretFile('/proc/self/stat', {...COOKIE, maxBytes: 8}), {code: 'ERR_FILE_TOO_LARGE', message: /more than the 8 bytes/});
});

test('a missing file and a dangling symlink throw the fs error, which names the path', async t => {
	await t.throwsAsync(readSecretFile(join(dir, 'nothing-here'), COOKIE), {code: 'ENOENT', message: /nothing-here/});
	const dangling = join(dir, 'dangling');
	await symlink(join(dir, 'gone'), dangling);
	await t.throwsAsync(readSecretFile(dangling, COOKIE), {code: 'ENOENT'});
});
