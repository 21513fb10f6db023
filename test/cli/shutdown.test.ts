import {execFile} from 'node:child_process';
import {mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {promisify} from 'node:util';
import test from 'ava';
import {stringify} from 'yaml';
import {findFreePort} from '../../daemon/sandbox/free-port.ts';
import {CliProcess} from '../support/cli.ts';
import {nodeCall, useSandboxNode} from '../support/ejabberd.ts';
import {compileGenerated, installBeam} from '../support/fixtures.ts';
import {waitUntil} from '../support/wait.ts';

/**
 * The built CLI's `run` (npm run build first) over ctl, where a batch takes
 * about a second: SIGTERM while a batch runs lets it finish and exits 0; a
 * second signal during that grace period exits at once.
 */
const getNode = useSandboxNode(test);
let workDir = '';

/** v2's on_load keeps `update` busy for a while: room for a second signal. */
const SLOW_SOURCE = (version: number) => [
	'-module(shut_slow).',
	'-export([version/0]).',
	...(version === 2 ? ['-on_load(init/0).', 'init() -> timer:sleep(15000), ok.'] : []),
	`version() -> ${version}.`,
	'',
].join('\n');

async function buildSlow(version: number): Promise<string> {
	const dir = await mkdtemp(join(workDir, `shut_slow-v${version}-`));
	await writeFile(join(dir, 'shut_slow.erl'), SLOW_SOURCE(version));
	await promisify(execFile)('/usr/bin/erlc', ['-o', dir, join(dir, 'shut_slow.erl')]);
	return join(dir, 'shut_slow.beam');
}

const buildGenerated = async (module: string, version: number) => compileGenerated(module, version, await mkdtemp(join(workDir, `${module}-v${version}-`)));

/** A config file for `run` over ctl with the API on a free port; returns its path and the API's URL. */
async function runConfig(name: string): Promise<{file: string; api: string}> {
	const node = getNode();
	const port = await findFreePort();
	const file = join(workDir, `${name}.yml`);
	await writeFile(file, stringify({node: node.node, transport: 'ctl', ctl: {command: [...node.ctlCommand]}, watch: [node.ebinDir], debounceMs: 200, api: {listen: `127.0.0.1:${port}`}}));
	return {file, api: `http://127.0.0.1:${port}`};
}

async function waitForRunningBatch(api: string): Promise<void> {
	await waitUntil(async () => {
		const status = await (await fetch(`${api}/status`)).json() as {queue: {runningBatches: number}};
		return status.queue.runningBatches === 1;
	}, 'GET /status shows a running batch');
}

const batchOf = (module: string) => (record: Record<string, unknown>) => record.event === 'batch' && JSON.stringify(record).includes(`"${module}"`);

test.serial.before(async () => {
	const node = getNode();
	workDir = await mkdtemp(join(tmpdir(), 'reloader-shutdown-'));
	await installBeam(await buildGenerated('shut_graceful', 1), node.ebinDir);
	await installBeam(await buildSlow(1), node.ebinDir);
	await nodeCall(node, '[code:ensure_loaded(M) || M <- [shut_graceful, shut_slow]]');
});

test.after.always(async () => {
	if (workDir !== '') {
		await rm(workDir, {recursive: true, force: true});
	}
});

test.serial('SIGTERM during a batch lets it finish, logs it and stop, and exits 0', async t => {
	const {file, api} = await runConfig('graceful');
	const cli = new CliProcess(['run', '--config', file, '--log-format', 'json']);
	t.teardown(() => cli.kill());
	await cli.waitForLine('stderr', line => line.includes('"event":"api"'));
	await installBeam(await buildGenerated('shut_graceful', 2), getNode().ebinDir);
	await waitForRunningBatch(api);

	cli.child.kill('SIGTERM');
	t.is(await cli.exited, 0, cli.stderrLines.join('\n'));
	const records = cli.records();
	const stop = records.findIndex(record => record.event === 'stop');
	const batch = records.findIndex(batchOf('shut_graceful'));
	t.true(stop >= 0, 'a stop record');
	t.true(batch > stop, 'the batch finished after the stop began');
	t.deepEqual(records[batch]?.updated, ['shut_graceful']);
	t.is(await nodeCall(getNode(), 'shut_graceful:version()'), '2');
	await t.throwsAsync(fetch(`${api}/healthz`), undefined, 'the API no longer listens');
});

test.serial('a second SIGTERM during the grace period exits at once, non-zero', async t => {
	const {file, api} = await runConfig('impatient');
	const cli = new CliProcess(['run', '--config', file, '--log-format', 'json']);
	t.teardown(() => cli.kill());
	await cli.waitForLine('stderr', line => line.includes('"event":"api"'));
	await installBeam(await buildSlow(2), getNode().ebinDir);
	await waitForRunningBatch(api);

	cli.child.kill('SIGTERM');
	await cli.waitForLine('stderr', line => line.includes('"event":"stop"'));
	cli.child.kill('SIGTERM');
	t.is(await cli.exited, 130);
	t.false(cli.records().some(batchOf('shut_slow')), 'the slow batch was still running');
});
