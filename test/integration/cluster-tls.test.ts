import test from 'ava';
import {findEjabberdUser} from '../../daemon/ejabberd/ejabberd-install.ts';
import {deployBeam, startCluster, type TestCluster} from '../support/cluster.ts';
import {buildDirectory, clusterBatchWith, codeMd5, startClusterDaemon} from '../support/cluster-daemon.ts';
import {installBeam} from '../support/fixtures.ts';
import {createTlsCerts, type TlsCerts} from '../support/tls-certs.ts';

/**
 * A cluster whose members speak TLS distribution only (-proto_dist inet_tls,
 * each side verifying the other's certificate, made by the test with
 * openssl): joined with ejabberdctl, found with `cluster.nodes: auto`, and
 * reloaded by the daemon over TLS with `dist.tls`. erl_call cannot speak TLS:
 * what each member runs is what it told the daemon (its loaded code's MD5).
 */
let certs: TlsCerts | undefined;
let cluster: TestCluster | undefined;

test.before(async () => {
	certs = await createTlsCerts({owner: await findEjabberdUser()});
	cluster = await startCluster({size: 2, node: {erlOptions: certs.erlOptions}});
});

test.after.always(async () => {
	await cluster?.stop();
	await certs?.remove();
});

test('TLS distribution: both members are found and updated, each verified by its MD5', async t => {
	if (cluster === undefined || certs === undefined) {
		throw new Error('The TLS cluster did not start');
	}
	const build = await buildDirectory(t);
	// Not loaded anywhere yet: each member reports it not loaded, and loads the new beam on first use.
	for (const node of cluster.nodes) {
		await installBeam(await build('cl_tls', 1), node.hostEbinDir);
	}
	const {records} = await startClusterDaemon(t, cluster, {}, {
		dist: {tls: {certFile: certs.client.certFile, keyFile: certs.client.keyFile, caFile: certs.caFile}},
		loadNew: true,
	});
	const beam = await build('cl_tls', 2);
	const expected = await codeMd5(beam);

	const since = records.mark();
	await deployBeam(cluster, beam);
	const batch = await records.waitFor(clusterBatchWith('cl_tls'), {since, what: 'the batch with cl_tls'});

	t.true(batch.ok, JSON.stringify(batch));
	t.deepEqual(Object.keys(batch.nodes ?? {}).sort(), cluster.nodes.map(node => node.node).sort());
	for (const node of cluster.nodes) {
		const outcome = batch.nodes?.[node.node];
		t.deepEqual(outcome?.updated, ['cl_tls'], node.node);
		t.is(outcome?.running.cl_tls, expected, `${node.node} runs the new code`);
	}
});
