import {mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import test from 'ava';
import {runCli} from '../support/cli.ts';

test('--version prints the package version', async t => {
	const result = await runCli(['--version']);
	t.is(result.code, 0);
	t.regex(result.stdout, /^\d+\.\d+\.\d+\n$/);
});

test('--help lists the commands', async t => {
	const result = await runCli(['--help']);
	t.is(result.code, 0);
	for (const command of ['run', 'once', 'info', 'sandbox']) {
		t.regex(result.stdout, new RegExp(`\\b${command}\\b`));
	}
});

test('a bad config exits 2 and lists every problem with its key path and value', async t => {
	const dir = await mkdtemp(join(tmpdir(), 'reloader-config-'));
	t.teardown(() => rm(dir, {recursive: true, force: true}));
	const file = join(dir, 'bad.yml');
	await writeFile(file, [
		'node: not-a-node-name',
		'transport: smoke-signals',
		'debounceMs: -5',
		'maxWaitMs: lots',
		'ctl:',
		'  command: ejabberdctl',
		'log:',
		'  format: xml',
		'watchh: [/tmp]',
	].join('\n'));
	const result = await runCli(['once', '--config', file]);
	t.is(result.code, 2);
	t.is(result.stdout, '');
	t.regex(result.stderr, /6 problems|7 problems/);
	for (const expected of [
		/node: .*`"not-a-node-name"` \(string\)/,
		/transport: .*`"smoke-signals"` \(string\)/,
		/debounceMs: .*`-5` \(number\)/,
		/maxWaitMs: .*`"lots"` \(string\)/,
		/ctl\.command: .*`"ejabberdctl"` \(string\)/,
		/log\.format: .*`"xml"` \(string\)/,
		/watchh: unknown key/,
	]) {
		t.regex(result.stderr, expected);
	}
});

test('a flag overriding the file is validated the same way', async t => {
	const result = await runCli(['info', '--debounce-ms', 'soon']);
	t.is(result.code, 2);
	t.regex(result.stderr, /debounceMs: .*`"soon"` \(string\)/);
});

test('a missing config file exits 2 and names it', async t => {
	const result = await runCli(['info', '--config', '/nonexistent/reloader.yml']);
	t.is(result.code, 2);
	t.regex(result.stderr, /Cannot read config file \/nonexistent\/reloader\.yml: ENOENT/);
});

test('an unknown flag is a usage error', async t => {
	const result = await runCli(['run', '--no-such-flag']);
	t.is(result.code, 2);
	t.regex(result.stderr, /unknown option '--no-such-flag'/);
});
