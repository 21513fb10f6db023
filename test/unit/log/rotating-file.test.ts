import {mkdtemp, readFile, readdir, rm, stat, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import test from 'ava';
import {RotatingFile} from '../../../daemon/log/rotating-file.ts';

async function useTempDir(t: {teardown(fn: () => Promise<void>): void}): Promise<string> {
	const dir = await mkdtemp(join(tmpdir(), 'reloader-rotate-'));
	t.teardown(() => rm(dir, {recursive: true, force: true}));
	return dir;
}

const line = (n: number) => `${String(n).padStart(9, '0')}\n`;

test('the current file keeps its name; .1 is the newest rotated, the oldest fall off', async t => {
	const dir = await useTempDir(t);
	const file = join(dir, 'r.log');
	const rotating = new RotatingFile({file, maxSizeBytes: 30, maxFiles: 2});
	for (let n = 0; n < 10; n++) {
		rotating.append(line(n));
	}
	rotating.close();
	t.deepEqual((await readdir(dir)).sort(), ['r.log', 'r.log.1', 'r.log.2']);
	t.is(await readFile(join(dir, 'r.log.2'), 'utf8'), line(3) + line(4) + line(5));
	t.is(await readFile(join(dir, 'r.log.1'), 'utf8'), line(6) + line(7) + line(8));
	t.is(await readFile(file, 'utf8'), line(9));
});

test('a file never grows past maxSizeBytes unless one line alone is larger', async t => {
	const dir = await useTempDir(t);
	const file = join(dir, 'r.log');
	const rotating = new RotatingFile({file, maxSizeBytes: 25, maxFiles: 3});
	rotating.append(line(1));
	rotating.append(line(2));
	t.is((await stat(file)).size, 20);
	rotating.append(line(3));
	t.is((await stat(file)).size, 10);
	rotating.append('x'.repeat(40) + '\n');
	t.is((await stat(file)).size, 41);
	rotating.close();
});

test('an existing file is appended to, its size counted', async t => {
	const dir = await useTempDir(t);
	const file = join(dir, 'r.log');
	await writeFile(file, line(0) + line(1));
	const rotating = new RotatingFile({file, maxSizeBytes: 25, maxFiles: 1});
	rotating.append(line(2));
	rotating.close();
	t.is(await readFile(`${file}.1`, 'utf8'), line(0) + line(1));
	t.is(await readFile(file, 'utf8'), line(2));
});

test('close is idempotent and later appends fail', async t => {
	const dir = await useTempDir(t);
	const rotating = new RotatingFile({file: join(dir, 'r.log'), maxSizeBytes: 1024, maxFiles: 1});
	rotating.close();
	t.notThrows(() => rotating.close());
	t.throws(() => rotating.append('x\n'), {message: /is closed/});
});
