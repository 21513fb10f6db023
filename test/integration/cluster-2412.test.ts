import test from 'ava';
import {deployBeam, useCluster} from '../support/cluster.ts';
import {buildDirectory, clusterBatchWith, codeMd5, runEverywhere, startClusterDaemon, versionOn} from '../support/cluster-daemon.ts';

/**
 * A two-node ejabberd 24.12 cluster (OTP 27, in the Debian 13 root): each
 * member's disk is found through its own update_info directory (the second
 * node's ebin is not the one the daemon watches), and 24.12's `{ok, [Mod]}`
 * answer is read per member.
 */
const getCluster = useCluster(test, {size: 2, node: {ejabberd: '24.12'}});

test.serial('24.12, members listed in the config: one batch updates both, each verified by its MD5', async t => {
	const cluster = getCluster();
	const build = await buildDirectory(t);
	await runEverywhere(cluster.nodes, await build('cl_recent', 1), 'cl_recent');
	// The members listed, not found: `cluster.nodes` as a list.
	const {records} = await startClusterDaemon(t, cluster, {nodes: cluster.nodes.map(node => node.node)});
	const beam = await build('cl_recent', 2);
	const expected = await codeMd5(beam);

	const since = records.mark();
	await deployBeam(cluster, beam);
	const batch = await records.waitFor(clusterBatchWith('cl_recent'), {since, what: 'the batch with cl_recent'});

	t.true(batch.ok, JSON.stringify(batch));
	t.deepEqual(batch.updated, ['cl_recent']);
	for (const node of cluster.nodes) {
		const outcome = batch.nodes?.[node.node];
		t.regex(outcome?.versions.ejabberd ?? '', /^24\.12/, node.node);
		t.deepEqual(outcome?.updated, ['cl_recent'], node.node);
		t.is(outcome?.running.cl_recent, expected, node.node);
		t.is(await versionOn(node, 'cl_recent'), '2', node.node);
	}
});
