import {execFile} from 'node:child_process';
import {closeSync, constants, openSync} from 'node:fs';
import {mkdtemp, open, readdir, readlink, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {promisify} from 'node:util';
import test from 'ava';
import {readSmallFile, SmallFileError} from '../../../daemon/secrets/read-small-file.ts';
import {waitUntil} from '../../support/wait.ts';

/** Descriptors this process holds on `file`. */
async function descriptorsOn(file: string): Promise<number> {
	const fds = await readdir('/proc/self/fd');
	const targets = await Promise.all(fds.map(async fd => readlink(`/proc/self/fd/${fd}`).catch(() => '')));
	return targets.filter(target => target === file).length;
}

/**
 * A file system that hangs (a dead NFS server) is played by libuv's thread
 * pool being busy: every thread blocks in a plain open() of a FIFO without a
 * writer, so our stat, open and read cannot even start. The read must give up
 * at its deadline; once the threads are free again, its descriptor is closed.
 * Alone in its file: the blocked pool would stall any other test here.
 */
test('a read that cannot finish within its deadline is given up and reported', async t => {
	t.timeout(20_000);
	const dir = await mkdtemp(join(tmpdir(), 'reloader-deadline-'));
	t.teardown(() => rm(dir, {recursive: true, force: true}));
	const file = join(dir, 'cookie');
	await writeFile(file, 'COOKIE', {mode: 0o400});

	const threads = Number(process.env['UV_THREADPOOL_SIZE'] ?? 4);
	const fifos = Array.from({length: threads}, (_, index) => join(dir, `block-${index}.fifo`));
	await promisify(execFile)('mkfifo', fifos);
	// Each blocks one pool thread until a writer opens the FIFO.
	const blocked = fifos.map(async fifo => open(fifo, 'r'));

	const started = performance.now();
	const error = await t.throwsAsync(readSmallFile(file, {maxBytes: 4096, timeoutMs: 300}), {instanceOf: SmallFileError});
	t.log(`gave up after ${(performance.now() - started).toFixed(0)} ms: ${error.message}`);
	t.is(error.code, 'ERR_FILE_READ_TIMEOUT');
	t.is(error.message, 'reading it did not finish within 300 ms (a hung network file system?)');

	// Free the pool: a writer that does not block (a reader is waiting in open, so this succeeds).
	const writers = fifos.map(fifo => openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
	for (const handle of await Promise.all(blocked)) {
		await handle.close();
	}
	for (const writer of writers) {
		closeSync(writer);
	}
	// The abandoned read ends on its own and lets go of its descriptor.
	await waitUntil(async () => await descriptorsOn(file) === 0, `no descriptor is left open on ${file}`, 10_000);
	// The same file reads fine once the "file system" answers again.
	t.is((await readSmallFile(file, {maxBytes: 4096, timeoutMs: 5000})).bytes.toString(), 'COOKIE');
});
