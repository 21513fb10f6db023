import test from 'ava';
import {deployBeam, useCluster} from '../support/cluster.ts';
import {buildDirectory, clusterBatchWith, codeMd5, runEverywhere, startClusterDaemon, versionOn} from '../support/cluster-daemon.ts';

/**
 * A cluster of nodes with long names (`-name x@127.0.0.1`, which ejabberdctl
 * picks for a host part with a dot): the daemon names itself after that host
 * part, so it speaks to long-name nodes as one of them.
 */
const getCluster = useCluster(test, {size: 2, node: {longName: true}});

test.serial('long node names: found with nodes: auto, both members updated, each verified by its MD5', async t => {
	const cluster = getCluster();
	t.true(cluster.nodes.every(node => node.node.endsWith('@127.0.0.1')), cluster.nodes.map(node => node.node).join(', '));
	const build = await buildDirectory(t);
	await runEverywhere(cluster.nodes, await build('cl_long', 1), 'cl_long');
	const {records} = await startClusterDaemon(t, cluster);
	const beam = await build('cl_long', 2);
	const expected = await codeMd5(beam);

	const since = records.mark();
	await deployBeam(cluster, beam);
	const batch = await records.waitFor(clusterBatchWith('cl_long'), {since, what: 'the batch with cl_long'});

	t.true(batch.ok, JSON.stringify(batch));
	t.deepEqual(Object.keys(batch.nodes ?? {}).sort(), cluster.nodes.map(node => node.node).sort());
	for (const node of cluster.nodes) {
		t.is(batch.nodes?.[node.node]?.running.cl_long, expected, node.node);
		t.is(await versionOn(node, 'cl_long'), '2', node.node);
	}
});
