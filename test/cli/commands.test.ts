import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import test from 'ava';
import {stringify} from 'yaml';
import {findFreePort} from '../../daemon/sandbox/free-port.ts';
import {CliProcess, runCli} from '../support/cli.ts';
import {nodeCall, useSandboxNode} from '../support/ejabberd.ts';
import {compileGenerated, installBeam} from '../support/fixtures.ts';

const getNode = useSandboxNode(test);
let workDir = '';
let configFile = '';
let apiListen = '';

const install = async (module: string, version: number) => {
	const dir = await mkdtemp(join(workDir, `${module}-`));
	return installBeam(await compileGenerated(module, version, dir), getNode().ebinDir);
};

test.serial.before(async () => {
	const node = getNode();
	workDir = await mkdtemp(join(tmpdir(), 'reloader-cli-'));
	configFile = join(workDir, 'config.yml');
	apiListen = `127.0.0.1:${await findFreePort()}`;
	await writeFile(configFile, stringify({node: node.node, transport: 'ctl', ctl: {command: [...node.ctlCommand]}, watch: [node.ebinDir], api: {listen: apiListen}}));
	await install('cli_once', 1);
	await install('cli_run', 1);
	await install('cli_tail', 1);
	await nodeCall(node, '[code:ensure_loaded(M) || M <- [cli_once, cli_run, cli_tail]]');
});

test.after.always(async () => {
	if (workDir !== '') {
		await rm(workDir, {recursive: true, force: true});
	}
});

test.serial('info runs the init step, lists the modified modules and changes nothing', async t => {
	await install('cli_once', 2);
	const result = await runCli(['info', '--config', configFile, '--log-format', 'json']);
	t.is(result.code, 0, result.stderr);
	const answer = JSON.parse(result.stdout) as {node: string; modules: string[]};
	t.is(answer.node, getNode().node);
	t.deepEqual(answer.modules, ['cli_once']);
	t.is(await nodeCall(getNode(), 'cli_once:version()'), '1');
	t.true(result.stderr.split('\n').some(line => line.includes('"event":"init"')), 'the init step ran and is logged');
});

test.serial('once updates every modified module, prints the record and exits 0', async t => {
	const result = await runCli(['once', '--config', configFile, '--log-format', 'json']);
	t.is(result.code, 0, result.stderr);
	const record = JSON.parse(result.stdout) as {event: string; ok: boolean; updated: string[]; trigger: string};
	t.is(record.event, 'batch');
	t.is(record.trigger, 'once');
	t.true(record.ok);
	t.deepEqual(record.updated, ['cli_once']);
	t.is(await nodeCall(getNode(), 'cli_once:version()'), '2');
	t.true(result.stderr.split('\n').some(line => line.includes('"event":"init"')), 'the init step is logged');
});

test.serial('run reloads a changed module, logs JSON lines, and exits 0 on SIGTERM', async t => {
	const cli = new CliProcess(['run', '--config', configFile, '--log-format', 'json', '--debounce-ms', '200']);
	t.teardown(() => cli.kill());
	await cli.waitForLine('stderr', line => line.includes('"event":"watch"'));
	await install('cli_run', 2);
	await cli.waitForLine('stderr', line => line.includes('"event":"batch"') && line.includes('cli_run'));
	const batch = cli.records().find(record => record.event === 'batch');
	t.deepEqual(batch?.updated, ['cli_run']);
	t.is(typeof (batch?.durations as Record<string, unknown> | undefined)?.totalMs, 'number');
	t.is(await nodeCall(getNode(), 'cli_run:version()'), '2');
	const events = cli.records().map(record => record.event);
	t.deepEqual(events.slice(0, 3), ['start', 'init', 'watch']);

	cli.child.kill('SIGTERM');
	t.is(await cli.exited, 0);
	t.true(cli.records().some(record => record.event === 'stop'));
});

test.serial('a wrong cookie is a clear error naming the node and the cookie file, never the cookie', async t => {
	const node = getNode();
	const wrongCookieFile = join(workDir, 'wrong.cookie');
	const wrongCookie = 'NOTTHECOOKIE1234567890';
	await writeFile(wrongCookieFile, wrongCookie, {mode: 0o400});
	const realCookie = (await readFile(node.cookieFile, 'utf8')).trim();
	const result = await runCli(['once', '--transport', 'dist', '--node', node.node, '--cookie-file', wrongCookieFile, '--watch', node.ebinDir]);
	t.is(result.code, 1);
	t.regex(result.stderr, new RegExp(node.node.replace('.', '\\.')));
	t.true(result.stderr.includes(wrongCookieFile));
	t.regex(result.stderr, /cookie/i);
	for (const secret of [wrongCookie, realCookie]) {
		t.false(result.stderr.includes(secret), 'the cookie never appears');
		t.false(result.stdout.includes(secret), 'the cookie never appears');
	}
});

test.serial('tail prints the batch of a file change, as the running daemon streams it', async t => {
	const daemon = new CliProcess(['run', '--config', configFile, '--transport', 'dist', '--cookie-file', getNode().cookieFile, '--log-format', 'json']);
	t.teardown(() => daemon.kill());
	await daemon.waitForLine('stderr', line => line.includes('"event":"api"'));
	const tail = new CliProcess(['tail', '--url', `http://${apiListen}`]);
	t.teardown(() => tail.kill());
	// tail prints nothing until an event comes, so when it is connected cannot be seen:
	// install new versions, each waited for in the daemon's own log, until tail has printed one.
	for (let version = 2; version <= 6 && !tail.stdoutLines.some(text => text.includes('cli_tail')); version++) {
		const seen = daemon.records().filter(record => record.event === 'batch').length;
		await install('cli_tail', version);
		await daemon.waitForLine('stderr', () => daemon.records().filter(record => record.event === 'batch').length > seen);
	}
	const line = await tail.waitForLine('stdout', text => text.includes('cli_tail'));
	t.regex(line, /batch \d+ \(watch\) updated=\[cli_tail\]/);
	tail.child.kill('SIGINT');
	t.is(await tail.exited, 0);
	daemon.child.kill('SIGTERM');
	t.is(await daemon.exited, 0);
});
