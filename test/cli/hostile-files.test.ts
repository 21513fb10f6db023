import {execFile} from 'node:child_process';
import {mkdir, mkdtemp, rm, truncate, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {promisify} from 'node:util';
import test, {type ExecutionContext} from 'ava';
import {stringify} from 'yaml';
import {CliProcess, runCli, type CliResult} from '../support/cli.ts';

/**
 * The built CLI (npm run build first), given files that are not what they
 * claim to be: it ends within seconds with an error naming the file and what
 * it is, instead of hanging on a FIFO or reading /dev/zero until memory runs out.
 */
let dir = '';
let ebin = '';

test.before(async () => {
	dir = await mkdtemp(join(tmpdir(), 'reloader-hostile-files-'));
	ebin = join(dir, 'ebin');
	await mkdir(ebin);
});

test.after.always(async () => {
	await rm(dir, {recursive: true, force: true});
});

async function mkfifo(name: string): Promise<string> {
	const file = join(dir, name);
	await promisify(execFile)('mkfifo', [file]);
	return file;
}

/** Run the CLI, which must exit by itself (1 or 2) well within the limit; the time is logged, not asserted. */
async function refusedByCli(t: ExecutionContext, args: readonly string[]): Promise<CliResult> {
	const started = performance.now();
	const result = await runCli(args, {timeoutMs: 20_000});
	t.log(`exit ${String(result.code)} after ${(performance.now() - started).toFixed(0)} ms: ${result.stderr.trim().split('\n').at(-2) ?? ''}`);
	t.not(result.code, null, `the CLI did not exit by itself; stderr:\n${result.stderr}`);
	t.true(result.code === 1 || result.code === 2, `exit code ${String(result.code)}; stderr:\n${result.stderr}`);
	return result;
}

test('once with a FIFO as the cookie file exits with an error naming the FIFO', async t => {
	const fifo = await mkfifo('cookie.fifo');
	const result = await refusedByCli(t, ['once', '--transport', 'dist', '--cookie-file', fifo, '--watch', ebin]);
	t.true(result.stderr.includes(`Cannot read the Erlang cookie file ${fifo}: it is a FIFO, not a regular file`), result.stderr);
});

test('once with /dev/zero as the cookie file exits with an error naming the device', async t => {
	const result = await refusedByCli(t, ['once', '--transport', 'dist', '--cookie-file', '/dev/zero', '--watch', ebin]);
	t.true(result.stderr.includes('Cannot read the Erlang cookie file /dev/zero: it is a character device, not a regular file'), result.stderr);
});

test('once with a 1 GB cookie file exits with an error giving its size', async t => {
	const huge = join(dir, 'huge-cookie');
	await writeFile(huge, '', {mode: 0o400});
	await truncate(huge, 1024 ** 3);
	const result = await refusedByCli(t, ['once', '--transport', 'dist', '--cookie-file', huge, '--watch', ebin]);
	t.regex(result.stderr, /huge-cookie: it holds 1073741824 bytes \(1\.0 GiB\), more than the 4096 bytes/);
});

test('a FIFO as --config exits 2 naming it', async t => {
	const fifo = await mkfifo('config.fifo');
	const result = await refusedByCli(t, ['once', '--config', fifo]);
	t.is(result.code, 2);
	t.true(result.stderr.includes(`Cannot read config file ${fifo}: it is a FIFO, not a regular file`), result.stderr);
});

test('a !!binary value in the config exits 2 naming the key and the tag', async t => {
	const file = join(dir, 'binary.yml');
	await writeFile(file, 'node: !!binary ZWphYmJlcmRAbG9jYWxob3N0\n');
	const result = await refusedByCli(t, ['once', '--config', file]);
	t.is(result.code, 2);
	t.true(result.stderr.includes('node: the YAML tag !!binary is not supported; write a plain string'), result.stderr);
	t.notRegex(result.stderr, /unknown key/);
});

test('SIGHUP with a FIFO as the new cookie file refuses the reconfiguration at once and keeps running', async t => {
	const cookie = join(dir, 'sighup-cookie');
	await writeFile(cookie, 'SIGHUPTESTCOOKIE', {mode: 0o400});
	const fifo = await mkfifo('sighup-cookie.fifo');
	const config = join(dir, 'sighup.yml');
	// A node that does not exist: the daemon runs and waits for it.
	const settings = {node: `no-such-node-${process.pid}@localhost`, transport: 'dist', watch: [ebin], api: {enabled: false}, log: {format: 'json'}};
	await writeFile(config, stringify({...settings, cookieFile: cookie}));
	const cli = new CliProcess(['run', '--config', config]);
	t.teardown(() => cli.kill());
	await cli.waitForLine('stderr', line => line.includes('"event":"watch"'));
	await writeFile(config, stringify({...settings, cookieFile: fifo}));
	cli.child.kill('SIGHUP');
	const refused = await cli.waitForLine('stderr', line => line.includes('"event":"reconfigure"'), 15_000);
	t.true(refused.includes('"outcome":"refused"'), refused);
	t.true(refused.includes(`${fifo}: it is a FIFO, not a regular file`), refused);
	cli.child.kill('SIGTERM');
	t.is(await cli.exited, 0);
});
