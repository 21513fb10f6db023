import {access, chmod, mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import * as path from 'node:path';
import test, {type ExecutionContext} from 'ava';
import {ReloaderError} from '../../../daemon/errors.ts';
import {runErlc, type ErlcRun} from '../../../daemon/sources/run-erlc.ts';
import {isGone, readPids, writeHangingErlc} from './_fake-erlc.ts';

async function scratch(t: ExecutionContext): Promise<string> {
	const directory = await mkdtemp(path.join(tmpdir(), 'reloader-run-erlc-test-'));
	t.teardown(async () => rm(directory, {recursive: true, force: true}));
	return directory;
}

async function script(directory: string, body: string): Promise<string> {
	const file = path.join(directory, 'fake-erlc');
	await writeFile(file, `#!/bin/sh\n${body}\n`);
	await chmod(file, 0o755);
	return file;
}

function run(directory: string, command: string, overrides: Partial<ErlcRun> = {}): Promise<Awaited<ReturnType<typeof runErlc>>> {
	return runErlc({command, args: ['-o', directory, '--', '/src/mod_x.erl'], env: {PATH: process.env.PATH ?? '/usr/bin:/bin'}, cwd: directory, sourceFile: '/src/mod_x.erl', timeoutMs: 30_000, maxOutputBytes: 1024, ...overrides});
}

test('stdout and stderr both kept, the exit code, the arguments as given (no shell)', async t => {
	const directory = await scratch(t);
	const fake = await script(directory, 'echo "out $#:$1:$4"\necho err >&2\nexit 1');
	const exit = await run(directory, fake, {args: ['-o', directory, '--', '$(touch pwned) *.erl']});
	t.deepEqual({...exit, output: exit.output.split('\n').sort()}, {exitCode: 1, exitSignal: null, output: ['', 'err', 'out 4:-o:$(touch pwned) *.erl'], droppedBytes: 0});
});

test('the environment is exactly the one given', async t => {
	const directory = await scratch(t);
	const fake = await script(directory, 'echo "$ERL_LIBS|${HOME-unset}"');
	t.is((await run(directory, fake, {env: {ERL_LIBS: '/aliases'}})).output, '/aliases|unset\n');
});

test('output past maxOutputBytes is read and counted, not kept', async t => {
	const directory = await scratch(t);
	// 2 MB of output: erlc must not block on a full pipe, and memory holds 1 KiB.
	const fake = await script(directory, 'head -c 2000000 /dev/zero | tr "\\0" x\nexit 0');
	const exit = await run(directory, fake);
	t.is(exit.exitCode, 0);
	t.is(exit.output, 'x'.repeat(1024));
	t.is(exit.droppedBytes, 2_000_000 - 1024);
});

test('a timeout kills erlc and what it started, and says so', async t => {
	const directory = await scratch(t);
	const {erlc, pids} = await writeHangingErlc(directory);
	const running = run(directory, erlc, {timeoutMs: 300});
	const error = await t.throwsAsync(running, {instanceOf: ReloaderError});
	t.is(error?.code, 'ERR_COMPILE_TIMEOUT');
	t.true(error?.retryable);
	t.regex(error?.message ?? '', /erlc" compiling "\/src\/mod_x\.erl" did not finish within 300 ms and was killed/);
	for (const pid of await readPids(pids)) {
		t.true(await isGone(pid), `process ${pid} still runs`);
	}
});

test('an abort kills erlc and rejects with the signal\'s reason', async t => {
	const directory = await scratch(t);
	const {erlc, pids} = await writeHangingErlc(directory);
	const controller = new AbortController();
	const running = run(directory, erlc, {signal: controller.signal});
	const started = await readPids(pids);
	controller.abort();
	const error = await t.throwsAsync(running, {any: true});
	t.is((error as {name?: string} | undefined)?.name, 'AbortError');
	for (const pid of started) {
		t.true(await isGone(pid), `process ${pid} still runs`);
	}
});

test('an abort before the start runs nothing', async t => {
	const directory = await scratch(t);
	const fake = await script(directory, `touch '${path.join(directory, 'ran')}'`);
	const controller = new AbortController();
	controller.abort();
	const error = await t.throwsAsync(run(directory, fake, {signal: controller.signal}), {any: true});
	t.is((error as {name?: string} | undefined)?.name, 'AbortError');
	await t.throwsAsync(access(path.join(directory, 'ran')));
});

test('an erlc that is not there: which one, and what to install', async t => {
	const directory = await scratch(t);
	const byPath = await t.throwsAsync(run(directory, path.join(directory, 'bin', 'erlc')), {instanceOf: ReloaderError});
	t.is(byPath?.code, 'ERR_COMPILER_MISSING');
	t.regex(byPath?.message ?? '', /Cannot run the Erlang compiler ".*\/bin\/erlc" to compile "\/src\/mod_x\.erl": there is no such file/);
	t.regex(byPath?.hint ?? '', /apt-get install erlang-base/);
	const byName = await t.throwsAsync(run(directory, 'erlc-not-installed', {env: {PATH: directory}}), {instanceOf: ReloaderError});
	t.regex(byName?.message ?? '', /"erlc-not-installed" .*: it is not on PATH/);
});

test('an erlc that is not executable', async t => {
	const directory = await scratch(t);
	const file = path.join(directory, 'erlc');
	await writeFile(file, '#!/bin/sh\n');
	await chmod(file, 0o644);
	const error = await t.throwsAsync(run(directory, file, {env: {PATH: '/usr/bin:/bin'}}), {instanceOf: ReloaderError});
	// Even root needs an x bit to exec a file.
	t.is(error?.code, 'ERR_COMPILER_MISSING');
	t.regex(error?.message ?? '', /it is not executable/);
});
