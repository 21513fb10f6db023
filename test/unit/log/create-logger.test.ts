import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {PassThrough} from 'node:stream';
import test from 'ava';
import {createRecordLogger, type LoggerOptions} from '../../../daemon/log/create-logger.ts';
import {ReloaderError} from '../../../daemon/errors.ts';
import type {DaemonRecord} from '../../../daemon/records.ts';

const nodeDown: DaemonRecord = {event: 'node', node: 'ejabberd@localhost', state: 'down', reason: 'econnrefused', retryInMs: 500};
const watch: DaemonRecord = {event: 'watch', directories: ['/ebin'], beams: 3};

/** Log the records through a logger writing to a buffer; its stderr lines. */
async function stderrLines(options: Omit<LoggerOptions, 'stderr'>, records: readonly DaemonRecord[]): Promise<string[]> {
	const stderr = new PassThrough();
	let text = '';
	stderr.on('data', (chunk: Buffer) => {
		text += chunk.toString();
	});
	const logger = createRecordLogger({...options, stderr});
	for (const record of records) {
		logger.log(record);
	}
	await logger.close();
	return text.split('\n').filter(line => line !== '');
}

async function useTempDir(t: {teardown(fn: () => Promise<void>): void}): Promise<string> {
	const dir = await mkdtemp(join(tmpdir(), 'reloader-log-'));
	t.teardown(() => rm(dir, {recursive: true, force: true}));
	return dir;
}

for (const format of ['pretty', 'json'] as const) {
	test(`under journald a warn record's ${format} line starts with <4>, an info one with <6>`, async t => {
		const [down, watching] = await stderrLines({level: 'info', format, journal: true}, [nodeDown, watch]);
		t.true(down?.startsWith('<4>'), down);
		t.true(watching?.startsWith('<6>'), watching);
		t.regex(down ?? '', /node ejabberd@localhost unreachable/);
	});

	test(`without journald a ${format} line has no priority prefix`, async t => {
		const [down] = await stderrLines({level: 'info', format, journal: false, colors: false}, [nodeDown]);
		t.false(down?.startsWith('<'), down);
	});
}

test('under journald there are no colours, even when asked for', async t => {
	const [down] = await stderrLines({level: 'info', format: 'pretty', journal: true, colors: true}, [nodeDown]);
	t.false((down ?? '').includes('\u001B['), down);
	const [coloured] = await stderrLines({level: 'info', format: 'pretty', journal: false, colors: true}, [nodeDown]);
	t.true((coloured ?? '').includes('\u001B['), 'the same options colour when not under journald');
});

test('under journald each line of a multi-line message carries the priority', async t => {
	const problem: DaemonRecord = {event: 'error', severity: 'error', code: 'ERR_CONFIG_INVALID', message: 'Invalid configuration (2 problems):\n  - a\n  - b'};
	const lines = await stderrLines({level: 'info', format: 'pretty', journal: true}, [problem]);
	t.is(lines.length, 3);
	t.true(lines.every(line => line.startsWith('<3>')), lines.join('\n'));
});

test('a json line has the record\'s fields, level, message and time', async t => {
	const [line] = await stderrLines({level: 'info', format: 'json', journal: false}, [watch]);
	const parsed = JSON.parse(line ?? '') as Record<string, unknown>;
	t.like(parsed, {level: 'info', message: 'watching 3 beams in /ebin', event: 'watch', beams: 3, directories: ['/ebin']});
	t.regex(String(parsed.time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
});

test('the log file gets the same JSON lines, is created with its directory, and holds every line once closed', async t => {
	const dir = await useTempDir(t);
	const file = join(dir, 'sub', 'dir', 'reloader.log');
	const records = Array.from({length: 200}, (_, beams): DaemonRecord => ({...watch, beams}));
	await stderrLines({level: 'info', format: 'pretty', journal: false, file}, records);
	const lines = (await readFile(file, 'utf8')).split('\n').filter(line => line !== '');
	t.is(lines.length, 200);
	const last = JSON.parse(lines.at(-1) ?? '') as Record<string, unknown>;
	t.like(last, {level: 'info', event: 'watch', beams: 199, message: 'watching 199 beams in /ebin'});
	t.is(typeof last.time, 'string');
});

test('the log file keeps to the configured level', async t => {
	const dir = await useTempDir(t);
	const file = join(dir, 'reloader.log');
	await stderrLines({level: 'warn', format: 'json', journal: false, file}, [watch, nodeDown]);
	const lines = (await readFile(file, 'utf8')).split('\n').filter(line => line !== '');
	t.is(lines.length, 1);
	t.like(JSON.parse(lines[0] ?? '') as Record<string, unknown>, {level: 'warn', event: 'node'});
});

test('the log file rotates by size and keeps maxFiles rotated files', async t => {
	const dir = await useTempDir(t);
	const file = join(dir, 'reloader.log');
	const records = Array.from({length: 300}, (_, beams): DaemonRecord => ({...watch, beams}));
	await stderrLines({level: 'info', format: 'json', journal: false, file, maxSizeBytes: 2048, maxFiles: 2}, records);
	const current = (await readFile(file, 'utf8')).split('\n').filter(line => line !== '');
	const newest = (await readFile(`${file}.1`, 'utf8')).split('\n').filter(line => line !== '');
	await t.notThrowsAsync(readFile(`${file}.2`));
	await t.throwsAsync(readFile(`${file}.3`), {code: 'ENOENT'});
	const beams = [...newest, ...current].map(line => (JSON.parse(line) as {beams: number}).beams);
	t.is(beams.at(-1), 299);
	t.deepEqual(beams, beams.map((_, index) => (beams[0] ?? 0) + index), 'no line lost across the rotation');
});

test('an unwritable log file path stops the logger at start, naming the path and what to do', async t => {
	const dir = await useTempDir(t);
	const blocker = join(dir, 'not-a-directory');
	await writeFile(blocker, '');
	const file = join(blocker, 'reloader.log');
	const error = t.throws(() => createRecordLogger({level: 'info', format: 'json', file, stderr: new PassThrough()}), {instanceOf: ReloaderError});
	t.is(error?.code, 'ERR_CONFIG_INVALID');
	t.true(error?.message.includes(file), error?.message);
	t.regex(error?.message ?? '', /log\.file/);
	t.regex(error?.hint ?? '', /writable/);
});
