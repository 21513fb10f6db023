import {mkdtemp, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import type {ExecutionContext, TestFn} from 'ava';
import {resolveConfig} from '../../daemon/config/resolve-config.ts';
import type {UserConfig} from '../../daemon/config/schema.ts';
import type {Daemon} from '../../daemon/daemon.ts';
import {openDaemon} from './open-daemon.ts';
import type {SandboxNode} from '../../daemon/sandbox/sandbox-node.ts';
import {nodeCall, withSandboxNode, type TestNodeOptions} from './ejabberd.ts';
import {compileGenerated, installBeam} from './fixtures.ts';
import {crashNode, haltNode, resumeNode} from './node-faults.ts';
import {RecordCollector, batchWith, isInit} from './record-collector.ts';

type TransportConfig = (node: SandboxNode) => UserConfig;

async function startDaemon(t: ExecutionContext, node: SandboxNode, records: RecordCollector, transportConfig: TransportConfig): Promise<Daemon> {
	const config = resolveConfig({...transportConfig(node), watch: [node.ebinDir]});
	const daemon = await openDaemon(config, records.report);
	t.teardown(() => daemon.close('test done'));
	await daemon.start();
	return daemon;
}

async function buildBeam(t: ExecutionContext, module: string): Promise<string> {
	const dir = await mkdtemp(join(tmpdir(), 'reloader-build-'));
	t.teardown(() => rm(dir, {recursive: true, force: true}));
	return compileGenerated(module, 1, dir);
}

/** Outages, against real nodes, for one transport (and ejabberd version, `nodeOptions`): the init step re-runs and no change is lost. */
export function defineReconnectSuite(test: TestFn, transportConfig: TransportConfig, nodeOptions: TestNodeOptions = {}): void {
	test('after an outage the init step runs again, then the change made meanwhile is applied', async t => {
		const node = await withSandboxNode(t, nodeOptions);
		const records = new RecordCollector();
		const daemon = await startDaemon(t, node, records, transportConfig);
		await records.waitFor(isInit, {what: 'the first init'});
		t.true(daemon.status().connected);

		await haltNode(node);
		const since = records.mark();
		await installBeam(await buildBeam(t, 'gen_outage'), node.ebinDir);
		await records.waitFor(record => record.event === 'node' && record.state === 'down', {since, what: 'node down'});
		t.false(daemon.status().connected);

		await resumeNode(node);
		const init = await records.waitFor(isInit, {since, what: 'init after the outage'});
		const batch = await records.waitFor(batchWith('gen_outage'), {since, what: 'the held-back batch'});
		const after = records.after(since);
		t.true(after.indexOf(init) < after.indexOf(batch), 'init runs before the held-back batch');
		t.true(after.some(record => record.event === 'node' && record.state === 'up'));
		// A fresh node incarnation: the module was never loaded there.
		t.deepEqual(batch.notLoaded, ['gen_outage']);
		t.regex(await nodeCall(node, 'code:is_loaded(ejabberd_update)'), /^\{file,/);
		t.true(daemon.status().connected);
	});

	test('a node killed outright and started again: the init step runs again and the change made meanwhile is applied', async t => {
		const node = await withSandboxNode(t, nodeOptions);
		const records = new RecordCollector();
		await startDaemon(t, node, records, transportConfig);
		await records.waitFor(isInit, {what: 'the first init'});

		const since = records.mark();
		await crashNode(node);
		await installBeam(await buildBeam(t, 'gen_crash'), node.ebinDir);
		// ctl and http hold no connection: the crash shows when a batch finds the node gone.
		await records.waitFor(record => record.event === 'node' && record.state === 'down', {since, what: 'node down'});
		await resumeNode(node);
		const init = await records.waitFor(isInit, {since, what: 'init after the crash'});
		const batch = await records.waitFor(batchWith('gen_crash'), {since, what: 'the change made during the crash'});
		const after = records.after(since);
		t.true(after.indexOf(init) < after.indexOf(batch), 'init runs before the batch');
		t.deepEqual(batch.notLoaded, ['gen_crash']);
		t.regex(await nodeCall(node, 'code:is_loaded(ejabberd_update)'), /^\{file,/);
	});

	test('a node that is down at start is waited for, and changes made meanwhile are kept', async t => {
		const node = await withSandboxNode(t, nodeOptions);
		await haltNode(node);
		const records = new RecordCollector();
		const daemon = await startDaemon(t, node, records, transportConfig);
		await records.waitFor(record => record.event === 'node' && record.state === 'down', {what: 'node down at start'});
		t.false(daemon.status().connected);
		t.false(records.records.some(isInit));

		await installBeam(await buildBeam(t, 'gen_early'), node.ebinDir);
		await resumeNode(node);
		await records.waitFor(isInit, {what: 'init once the node is up'});
		const batch = await records.waitFor(batchWith('gen_early'), {what: 'the change made while the node was down'});
		t.deepEqual(batch.notLoaded, ['gen_early']);
	});
}
