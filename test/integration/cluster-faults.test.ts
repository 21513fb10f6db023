import test from 'ava';
import type {BatchRecord} from '../../daemon/reloader/batch-record.ts';
import {deployBeam, useCluster} from '../support/cluster.ts';
import {buildDirectory, clusterBatchWith, codeMd5, runEverywhere, startClusterDaemon, versionOn} from '../support/cluster-daemon.ts';
import {nodeCall} from '../support/ejabberd.ts';
import {installBeam} from '../support/fixtures.ts';
import {crashNode} from '../support/node-faults.ts';
import {isBatch, isSyncRecord} from '../support/record-collector.ts';

/**
 * Members that fail and members that arrive, on a real three-node 23.01
 * cluster: a node killed while a batch waits for its disk, restarted and
 * reconciled; a fourth node that joins later, discovered and reconciled.
 * The cases change the cluster, so they run in order on one cluster of their own.
 */
const getCluster = useCluster(test);

test.serial('a node killed mid-batch: the others are updated, it is reported unreachable, then reconciled when it is back', async t => {
	const [first, second, third] = getCluster().nodes;
	if (first === undefined || second === undefined || third === undefined) {
		throw new Error('expected three nodes');
	}
	const build = await buildDirectory(t);
	await runEverywhere([first, second, third], await build('cl_killed', 1), 'cl_killed');
	const {records} = await startClusterDaemon(t, getCluster(), {pollMs: 500, syncTimeoutMs: 60_000});
	const beam = await build('cl_killed', 2);
	const expected = await codeMd5(beam);

	const since = records.mark();
	// The third disk gets the beam late: the batch waits for it, and the node dies meanwhile.
	const deployment = await deployBeam(getCluster(), beam, {delays: [0, 0, 4000]});
	await records.waitFor(record => isSyncRecord(record) && record.node === third.node, {since, what: `the batch waiting for ${third.node}'s disk`});
	await crashNode(third);
	const batch = await records.waitFor(clusterBatchWith('cl_killed', 'watch'), {since, what: 'the batch with cl_killed'});

	t.false(batch.ok);
	t.is(batch.nodes?.[third.node]?.state, 'unreachable');
	t.deepEqual(batch.failed.map(({module, node}) => [module, node]), [['cl_killed', third.node]]);
	for (const node of [first, second]) {
		t.is(batch.nodes?.[node.node]?.state, 'done', node.node);
		t.is(batch.nodes?.[node.node]?.running.cl_killed, expected, node.node);
	}
	t.deepEqual(records.records.slice(since).filter(record => record.event === 'node' && record.node === third.node).map(record => record.event === 'node' && record.state).slice(0, 1), ['down']);

	await deployment.done;
	const restarted = records.mark();
	await third.restart();
	const reconcile = await records.waitFor((record): record is BatchRecord => isBatch(record) && record.trigger === 'reconnect' && record.nodes?.[third.node] !== undefined, {since: restarted, what: `the reconcile of ${third.node}`, timeoutMs: 120_000});
	t.true(reconcile.ok, JSON.stringify(reconcile));
	const outcome = reconcile.nodes?.[third.node];
	t.deepEqual(Object.keys(reconcile.nodes ?? {}), [third.node], 'only the member that came back');
	// A restarted node loads from its disk: the new beam, now or on first use.
	t.true(outcome?.running.cl_killed === expected || outcome?.notLoaded.includes('cl_killed'), JSON.stringify(outcome));
	t.is(outcome?.disk.cl_killed, expected);
	t.is(await versionOn(third, 'cl_killed'), '2');
});

test.serial('a fourth node joins later: discovered, reconciled to the code the cluster runs', async t => {
	const cluster = getCluster();
	const build = await buildDirectory(t);
	const old = await build('cl_joined', 1);
	const beam = await build('cl_joined', 2);
	const expected = await codeMd5(beam);
	const {records} = await startClusterDaemon(t, cluster, {pollMs: 500});
	// The cluster runs version 2 (the daemon saw it complete and loaded it everywhere)...
	const deployed = records.mark();
	await runEverywhere(cluster.nodes, old, 'cl_joined');
	await deployBeam(cluster, beam);
	const batch = await records.waitFor(clusterBatchWith('cl_joined', 'watch'), {since: deployed, what: 'the batch with cl_joined'});
	t.true(batch.ok, JSON.stringify(batch.failed));

	// ...and a machine provisioned from an older image joins: it runs version 1, its disk holds version 2.
	const since = records.mark();
	const fourth = await cluster.addNode({}, async node => {
		await installBeam(old, node.hostEbinDir);
		await nodeCall(node, 'code:ensure_loaded(cl_joined)');
		await installBeam(beam, node.hostEbinDir);
	});
	await records.waitFor(record => record.event === 'node' && record.node === fourth.node && record.state === 'joined', {since, what: `${fourth.node} discovered`, timeoutMs: 120_000});
	const reconcile = await records.waitFor((record): record is BatchRecord => isBatch(record) && record.trigger === 'join' && record.nodes?.[fourth.node] !== undefined, {since, what: `the reconcile of ${fourth.node}`, timeoutMs: 120_000});

	t.true(reconcile.ok, JSON.stringify(reconcile));
	t.deepEqual(reconcile.nodes?.[fourth.node]?.updated, ['cl_joined']);
	t.is(reconcile.nodes?.[fourth.node]?.running.cl_joined, expected);
	t.is(await versionOn(fourth, 'cl_joined'), '2');
});
