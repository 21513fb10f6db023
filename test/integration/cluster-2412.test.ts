import {chmod, copyFile, mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
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

test.serial('24.12, members listed in the config (one with its own cookie file): one batch updates both, each verified by its MD5', async t => {
	const cluster = getCluster();
	const build = await buildDirectory(t);
	await runEverywhere(cluster.nodes, await build('cl_recent', 1), 'cl_recent');
	// The members listed, not found: `cluster.nodes` as a list; the second with a cookie file of its own (a copy, as from another machine).
	const [first, second] = cluster.nodes;
	if (first === undefined || second === undefined) {
		throw new Error('expected two nodes');
	}
	const cookieDir = await mkdtemp(join(tmpdir(), 'reloader-cookie-'));
	t.teardown(async () => rm(cookieDir, {recursive: true, force: true}));
	const ownCookie = join(cookieDir, 'second.cookie');
	await copyFile(second.cookieFile, ownCookie);
	await chmod(ownCookie, 0o400);
	const {records} = await startClusterDaemon(t, cluster, {nodes: [first.node, {node: second.node, cookieFile: ownCookie}]});
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

test.serial('a member whose cookie file holds the wrong cookie is reported refused, and the other member is still updated', async t => {
	const cluster = getCluster();
	const [first, second] = cluster.nodes;
	if (first === undefined || second === undefined) {
		throw new Error('expected two nodes');
	}
	const cookieDir = await mkdtemp(join(tmpdir(), 'reloader-cookie-'));
	t.teardown(async () => rm(cookieDir, {recursive: true, force: true}));
	const wrongCookie = join(cookieDir, 'wrong.cookie');
	await writeFile(wrongCookie, 'NOTTHECLUSTERSCOOKIE', {mode: 0o400});
	const build = await buildDirectory(t);
	await runEverywhere(cluster.nodes, await build('cl_cookie', 1), 'cl_cookie');
	const {records} = await startClusterDaemon(t, cluster, {nodes: [first.node, {node: second.node, cookieFile: wrongCookie}]});
	const beam = await build('cl_cookie', 2);

	const since = records.mark();
	await deployBeam(cluster, beam);
	const batch = await records.waitFor(clusterBatchWith('cl_cookie'), {since, what: 'the batch with cl_cookie'});

	t.false(batch.ok);
	t.is(batch.nodes?.[first.node]?.running.cl_cookie, await codeMd5(beam));
	t.is(batch.nodes?.[second.node]?.state, 'unreachable');
	t.regex(batch.nodes?.[second.node]?.reason ?? '', new RegExp(`cookie in ${wrongCookie}`));
	const refusals = records.records.filter(record => record.event === 'error' && record.message.includes(second.node));
	t.is(refusals.length, 1, 'the refusal is reported once');
	t.is(await versionOn(second, 'cl_cookie'), '1');
});
