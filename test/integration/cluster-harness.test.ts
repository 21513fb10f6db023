import {mkdtemp, readFile, rm, stat} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import test from 'ava';
import type {SandboxNode} from '../../daemon/sandbox/sandbox-node.ts';
import {deployBeam, withCluster} from '../support/cluster.ts';
import {compileFixture} from '../support/fixtures.ts';
import {waitUntil} from '../support/wait.ts';

// The kernel stamps mtimes from a coarse clock (one tick behind at most), and
// a timer may fire a millisecond early by Date.now(): allow for both.
const CLOCK_SLACK_MS = 50;
const SECOND_NODE_DELAY_MS = 2000;

const sortedNames = (nodes: readonly SandboxNode[]) => nodes.map(node => node.node).sort();

/** Wait until `node`'s ebin holds exactly `content` under `file`; returns the file's mtime. */
async function waitForBeam(node: SandboxNode, file: string, content: Buffer): Promise<number> {
	const path = join(node.hostEbinDir, file);
	await waitUntil(async () => content.equals(await readFile(path).catch(() => Buffer.alloc(0))), `${path} holds the deployed beam`);
	return (await stat(path)).mtimeMs;
}

test('three nodes form a cluster, deployBeam reaches each disk after its delay, a fourth node joins', async t => {
	const cluster = await withCluster(t);
	t.log(`${cluster.id}: 3 nodes up in ${cluster.startup.nodesMs} ms, joined in ${cluster.startup.joinsMs} ms`);
	const [first, second, third] = cluster.nodes;
	if (first === undefined || second === undefined || third === undefined) {
		t.fail(`expected 3 nodes, got ${cluster.nodes.length}`);
		return;
	}
	t.deepEqual(await cluster.members(), sortedNames(cluster.nodes));
	t.is(new Set(cluster.nodes.map(node => node.ebinDir)).size, 3, 'each node has its own ebin');

	const scratch = await mkdtemp(join(tmpdir(), 'reloader-cluster-'));
	t.teardown(() => rm(scratch, {recursive: true, force: true}));
	const beam = await compileFixture('reload_probe', 1, scratch);
	const content = await readFile(beam);
	const began = Date.now();
	const deployment = await deployBeam(cluster, beam, {delays: [0, SECOND_NODE_DELAY_MS, undefined]});
	const firstWritten = await waitForBeam(first, 'reload_probe.beam', content);
	const secondWritten = await waitForBeam(second, 'reload_probe.beam', content);
	await deployment.done;
	t.true(firstWritten <= secondWritten, 'the first node got the beam before the second');
	// A lower bound only: load can delay the write, never advance it.
	t.true(secondWritten - began >= SECOND_NODE_DELAY_MS - CLOCK_SLACK_MS, `the second node got the beam ${secondWritten - began} ms after the deploy began`);
	t.is(deployment.installs[2], undefined);
	await t.throwsAsync(stat(join(third.hostEbinDir, 'reload_probe.beam')), {code: 'ENOENT'}, 'the third node never gets it');

	const joinBegan = performance.now();
	const fourth = await cluster.addNode();
	t.log(`a fourth node started and joined in ${Math.round(performance.now() - joinBegan)} ms`);
	t.is(cluster.nodes.length, 4);
	t.true(cluster.nodes.includes(fourth));
	t.deepEqual(await cluster.members(), sortedNames(cluster.nodes));
});
