import {mkdir, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {pathToFileURL} from 'node:url';
import test from 'ava';
import {stringify} from 'yaml';
import {CliProcess} from '../support/cli.ts';
import {waitUntil} from '../support/wait.ts';

/**
 * Node's own warnings in a running daemon with JSON logs (the built CLI; npm
 * run build first) come out as JSON warn records, not as raw `(node:PID)`
 * lines that break a log reader. A preload module plays the code that warns:
 * one warning as soon as the CLI takes warnings over (before the logger
 * exists), the others on SIGUSR2, once the daemon runs. Those go through the
 * service's records, so the log file has them as well.
 */
const PRELOAD = `
import {EventEmitter} from 'node:events';
const on = process.on;
let early = false;
process.on = function (event, listener) {
	const result = on.call(this, event, listener);
	if (event === 'warning' && !early) {
		early = true;
		setImmediate(() => process.emitWarning('emitted before the logger exists', 'EarlyWarning'));
	}
	return result;
};
process.on('SIGUSR2', () => {
	process.emitWarning('emitted while the daemon runs', 'TestWarning');
	process.emitWarning('an old API was used', 'DeprecationWarning', 'DEP0999');
	const emitter = new EventEmitter();
	for (let count = 0; count <= emitter.getMaxListeners(); count++) {
		emitter.on('event', () => undefined);
	}
});
`;

let dir = '';

test.before(async () => {
	dir = await mkdtemp(join(tmpdir(), 'reloader-warnings-'));
});

test.after.always(async () => {
	await rm(dir, {recursive: true, force: true});
});

test('with JSON logs, Node\'s warnings are JSON warn records and stderr holds nothing else', async t => {
	const preload = join(dir, 'warn.mjs');
	const cookie = join(dir, 'cookie');
	const ebin = join(dir, 'ebin');
	await writeFile(preload, PRELOAD);
	await writeFile(cookie, 'WARNINGTESTCOOKIE', {mode: 0o400});
	await mkdir(ebin);
	const logFile = join(dir, 'daemon.log');
	const config = join(dir, 'config.yml');
	// A node that does not exist: the daemon runs and waits for it, which is all this needs.
	await writeFile(config, stringify({node: `no-such-node-${process.pid}@localhost`, transport: 'dist', cookieFile: cookie, watch: [ebin], api: {enabled: false}, log: {format: 'json', file: logFile}}));
	const savedOptions = process.env['NODE_OPTIONS'];
	process.env['NODE_OPTIONS'] = `--import=${pathToFileURL(preload).href}`;
	let cli: CliProcess;
	try {
		cli = new CliProcess(['run', '--config', config, '--log-format', 'json']);
	} finally {
		if (savedOptions === undefined) {
			delete process.env['NODE_OPTIONS'];
		} else {
			process.env['NODE_OPTIONS'] = savedOptions;
		}
	}
	t.teardown(() => cli.kill());

	const isWarning = (name: string) => (line: string) => line.includes('"WARN_NODE_PROCESS"') && line.includes(name);
	await cli.waitForLine('stderr', isWarning('EarlyWarning'));
	await cli.waitForLine('stderr', line => line.includes('"event":"watch"'));
	cli.child.kill('SIGUSR2');
	await cli.waitForLine('stderr', isWarning('MaxListenersExceededWarning'));
	await cli.waitForLine('stderr', isWarning('DEP0999'));
	cli.child.kill('SIGTERM');
	t.is(await cli.exited, 0);

	const lines = cli.stderrLines.filter(line => line !== '');
	const notJson = lines.filter(line => {
		try {
			JSON.parse(line);
			return false;
		} catch {
			return true;
		}
	});
	t.deepEqual(notJson, []);
	const warnings = cli.records().filter(record => record['code'] === 'WARN_NODE_PROCESS');
	t.log(warnings.map(record => String(record['message'])).join('\n'));
	t.true(warnings.every(record => record['level'] === 'warn' && record['event'] === 'error' && typeof record['time'] === 'string'));
	const messages = warnings.map(record => String(record['message']));
	t.true(messages.includes('Node.js warning: EarlyWarning: emitted before the logger exists'));
	t.true(messages.includes('Node.js warning: TestWarning: emitted while the daemon runs'));
	t.true(messages.includes('Node.js warning [DEP0999]: DeprecationWarning: an old API was used'));
	t.true(messages.some(message => message.startsWith('Node.js warning: MaxListenersExceededWarning: Possible EventEmitter memory leak detected')));
	t.is(cli.stdoutLines.filter(line => line !== '').length, 0);

	// Through the service's record bus: the log file, one of its subscribers, has the daemon-time ones.
	const logged = async () => (await readFile(logFile, 'utf8')).split('\n').filter(line => line.includes('"WARN_NODE_PROCESS"'));
	await waitUntil(async () => (await logged()).length >= 3, 'the log file has the three warnings emitted while the daemon ran', 10_000);
	t.true((await logged()).some(line => line.includes('TestWarning')));
});
