import {mkdtemp, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import test from 'ava';
import type {SyncRecord} from '../../daemon/records.ts';
import {isSyncRecord} from '../support/record-collector.ts';
import {deployBeam, useCluster} from '../support/cluster.ts';
import {buildDirectory, clusterBatchWith, codeMd5, runEverywhere, startClusterDaemon, versionOn} from '../support/cluster-daemon.ts';
import {compileFailingOnNode, installBeam} from '../support/fixtures.ts';

/**
 * A real three-node ejabberd 23.01 cluster, each node loading from its own
 * ebin; the daemon watches the first node's, as an operator runs it next to
 * one member, and a deploy reaches the other disks on its own schedule.
 * One cluster for the file, one daemon per case (each with its settings).
 */
const getCluster = useCluster(test);

const nodesOf = () => {
	const [first, second, third] = getCluster().nodes;
	if (first === undefined || second === undefined || third === undefined) {
		throw new Error('expected three nodes');
	}
	return {first, second, third, all: [first, second, third]};
};

test.serial('parallel: one batch updates all three nodes, each verified by its MD5', async t => {
	const {all} = nodesOf();
	const build = await buildDirectory(t);
	await runEverywhere(all, await build('cl_all', 1), 'cl_all');
	const {records} = await startClusterDaemon(t, getCluster());
	const beam = await build('cl_all', 2);
	const expected = await codeMd5(beam);

	const since = records.mark();
	await deployBeam(getCluster(), beam);
	const batch = await records.waitFor(clusterBatchWith('cl_all'), {since, what: 'the batch with cl_all'});

	t.true(batch.ok, JSON.stringify(batch.failed));
	t.deepEqual(batch.updated, ['cl_all']);
	t.deepEqual(Object.keys(batch.nodes ?? {}).sort(), all.map(node => node.node).sort());
	for (const node of all) {
		const outcome = batch.nodes?.[node.node];
		t.is(outcome?.state, 'done', node.node);
		t.deepEqual(outcome?.updated, ['cl_all'], node.node);
		t.is(outcome?.running.cl_all, expected, `${node.node} runs the new code`);
		t.is(outcome?.disk.cl_all, expected, `${node.node}'s disk holds it`);
		t.is(await versionOn(node, 'cl_all'), '2', node.node);
	}
});

test.serial('a request names one member: only it is in the record; an unknown member is refused', async t => {
	const {second} = nodesOf();
	const {daemon} = await startClusterDaemon(t, getCluster());
	const record = await daemon.reconcile('api', {nodes: [second.node]});
	t.deepEqual(Object.keys(record.nodes ?? {}), [second.node]);
	t.is(record.nodes?.[second.node]?.state, 'done');
	t.throws(() => daemon.reconcile('api', {nodes: ['nobody@nowhere']}), {message: /nobody@nowhere.*not a member/});
});

test.serial('one disk late by two seconds: the batch waits for it, then every node is updated', async t => {
	const {second, all} = nodesOf();
	const build = await buildDirectory(t);
	await runEverywhere(all, await build('cl_late', 1), 'cl_late');
	const {records} = await startClusterDaemon(t, getCluster());
	const beam = await build('cl_late', 2);
	const expected = await codeMd5(beam);

	const since = records.mark();
	const deployment = await deployBeam(getCluster(), beam, {delays: [0, 2000, 0]});
	const waiting = await records.waitFor((record): record is SyncRecord => isSyncRecord(record) && record.node === second.node, {since, what: `a sync record for ${second.node}`});
	const batch = await records.waitFor(clusterBatchWith('cl_late'), {since, what: 'the batch with cl_late'});
	await deployment.done;

	t.is(waiting.node, second.node);
	t.is(waiting.state, 'waiting');
	t.is(waiting.batch, batch.id);
	t.deepEqual(waiting.modules.map(({module, expected: md5}) => [module, md5]), [['cl_late', expected]]);
	t.true(batch.ok, JSON.stringify(batch.failed));
	for (const node of all) {
		t.is(batch.nodes?.[node.node]?.running.cl_late, expected, node.node);
		t.is(await versionOn(node, 'cl_late'), '2', node.node);
	}
});

test.serial('one disk not updated in time: nothing is loaded anywhere, the failure names that node; once its disk catches up, every node is updated', async t => {
	const {third, all} = nodesOf();
	const build = await buildDirectory(t);
	const old = await build('cl_never', 1);
	await runEverywhere(all, old, 'cl_never');
	const {records} = await startClusterDaemon(t, getCluster(), {syncTimeoutMs: 3000, pollMs: 500});
	const beam = await build('cl_never', 2);
	const expected = await codeMd5(beam);

	const since = records.mark();
	await deployBeam(getCluster(), beam, {delays: [0, 0, undefined]});
	const batch = await records.waitFor(clusterBatchWith('cl_never'), {since, what: 'the batch with cl_never'});

	t.false(batch.ok);
	t.deepEqual(batch.updated, []);
	t.is(batch.failed.length, 1);
	t.regex(batch.failed[0]?.reason ?? '', new RegExp(`nothing was loaded on any node.*${third.node}`));
	t.is(batch.nodes?.[third.node]?.state, 'lagging');
	t.is(batch.nodes?.[third.node]?.disk.cl_never, await codeMd5(old), 'the lagging disk still has the old beam');
	for (const node of all.filter(node => node !== third)) {
		t.is(batch.nodes?.[node.node]?.state, 'skipped', node.node);
	}
	const lagging = records.records.slice(since).filter(record => isSyncRecord(record)).find(record => record.state === 'lagging');
	t.is(lagging?.node, third.node);
	for (const node of all) {
		t.is(await versionOn(node, 'cl_never'), '1', `${node.node} still runs the old code`);
	}

	// The deploy reaches the third machine at last: the daemon notices (every pollMs) and updates every node.
	const late = records.mark();
	await installBeam(beam, third.hostEbinDir);
	const caughtUp = await records.waitFor(clusterBatchWith('cl_never', 'caughtUp'), {since: late, what: 'the catch-up batch with cl_never'});
	t.true(caughtUp.ok, JSON.stringify(caughtUp));
	for (const node of all) {
		t.is(caughtUp.nodes?.[node.node]?.running.cl_never, expected, node.node);
		t.is(await versionOn(node, 'cl_never'), '2', node.node);
	}
});

test.serial('onLag: loadReady: the nodes whose disk agrees are updated, the lagging one is reported and left alone', async t => {
	const {first, second, third, all} = nodesOf();
	const build = await buildDirectory(t);
	const old = await build('cl_ready', 1);
	await runEverywhere(all, old, 'cl_ready');
	const {records} = await startClusterDaemon(t, getCluster(), {syncTimeoutMs: 2000, onLag: 'loadReady', pollMs: 600_000});
	const beam = await build('cl_ready', 2);
	const expected = await codeMd5(beam);

	const since = records.mark();
	await deployBeam(getCluster(), beam, {delays: [0, undefined, 0]});
	const batch = await records.waitFor(clusterBatchWith('cl_ready'), {since, what: 'the batch with cl_ready'});

	t.false(batch.ok);
	t.deepEqual(batch.failed.map(({module, node}) => [module, node]), [['cl_ready', second.node]]);
	t.is(batch.nodes?.[second.node]?.state, 'lagging');
	t.is(batch.nodes?.[second.node]?.running.cl_ready, await codeMd5(old));
	for (const node of [first, third]) {
		t.is(batch.nodes?.[node.node]?.running.cl_ready, expected, node.node);
		t.is(await versionOn(node, 'cl_ready'), '2', node.node);
	}
	t.is(await versionOn(second, 'cl_ready'), '1');
});

test.serial('rolling: a module failing on the second node stops the rollout, the third keeps its old code', async t => {
	const {first, second, third, all} = nodesOf();
	const build = await buildDirectory(t);
	const old = await build('cl_rolling', 1);
	await runEverywhere(all, old, 'cl_rolling');
	const {records} = await startClusterDaemon(t, getCluster(), {strategy: 'rolling'});
	const scratch = await mkdtemp(join(tmpdir(), 'reloader-rolling-'));
	t.teardown(async () => rm(scratch, {recursive: true, force: true}));
	const beam = await compileFailingOnNode('cl_rolling', 2, second.node, scratch);
	const expected = await codeMd5(beam);

	const since = records.mark();
	await deployBeam(getCluster(), beam);
	const batch = await records.waitFor(clusterBatchWith('cl_rolling'), {since, what: 'the batch with cl_rolling'});

	t.false(batch.ok, JSON.stringify(records.records.slice(since)));
	const nodes = batch.nodes ?? {};
	t.is(nodes[first.node]?.state, 'done');
	t.deepEqual(nodes[first.node]?.updated, ['cl_rolling']);
	t.is(nodes[first.node]?.running.cl_rolling, expected);
	t.is(nodes[second.node]?.state, 'done');
	t.deepEqual(nodes[second.node]?.failed.map(({module}) => module), ['cl_rolling']);
	t.is(nodes[third.node]?.state, 'skipped');
	t.regex(nodes[third.node]?.reason ?? '', new RegExp(`stopped at ${second.node}`));
	t.is(nodes[third.node]?.running.cl_rolling, await codeMd5(old), 'the third node still runs the old code');
	t.deepEqual(batch.failed.map(({module, node}) => [module, node]), [['cl_rolling', second.node], ['cl_rolling', third.node]]);
	t.is(await versionOn(first, 'cl_rolling'), '2');
	t.is(await versionOn(second, 'cl_rolling'), '1');
	t.is(await versionOn(third, 'cl_rolling'), '1');
});
