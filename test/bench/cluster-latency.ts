import {mkdir, mkdtemp, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {resolveConfig} from '../../daemon/config/resolve-config.ts';
import type {ResolvedConfig} from '../../daemon/config/schema.ts';
import type {BatchRecord} from '../../daemon/reloader/batch-record.ts';
import {startSandboxNode, type SandboxNode} from '../../daemon/sandbox/sandbox-node.ts';
import {deployBeam, startCluster, type TestCluster} from '../support/cluster.ts';
import {clusterBatchWith, codeMd5, runEverywhere, versionOn} from '../support/cluster-daemon.ts';
import {compileGenerated} from '../support/fixtures.ts';
import {openDaemon} from '../support/open-daemon.ts';
import {RecordCollector} from '../support/record-collector.ts';
import {openInstallLatency, type InstallLatency, type LatencySession} from './install-latency.ts';
import {summarize, type Summary} from './stats.ts';

export interface ClusterLatency {
	readonly size: number;
	readonly strategy: 'parallel';
	readonly debounceMs: number;
	/** How long the cluster took to start: nodes (in parallel), then the joins. */
	readonly startup: {readonly nodesMs: number; readonly joinsMs: number};
	/** From the end of the write on the first node's disk to the batch record saying every node runs the new code's MD5. */
	readonly total: Summary;
	/** The same minus the batch's waitMs (quiet window and queue). */
	readonly afterDebounce: Summary;
	/** Where the cluster batch's time goes. */
	readonly steps: {
		/** From the last write to the batch's first change, plus the record's way back (as in the single-node bench). */
		readonly detect: Summary;
		/** Disk agreement: every member asked for the code MD5 of its own beam (durations.syncMs). */
		readonly sync: Summary;
		/** The slowest member's own batch (its nodes[n].durations.totalMs): the parallel rollout. */
		readonly slowestNode: Summary;
		/** The cluster layer outside sync and the rollout: totalMs − syncMs − slowest member's totalMs (ready(), checking the beams, the record). */
		readonly clusterRest: Summary;
		/** Each member's update_info, update and verify, all members' samples together. */
		readonly nodeUpdateInfo: Summary;
		readonly nodeUpdate: Summary;
		readonly nodeVerify: Summary;
		/** Each member's batch outside those three node steps: local beam checks and the extra rpcs (states before, holders, unpurged). */
		readonly nodeRest: Summary;
	};
	/** What the cluster adds to one batch, per member: (totalMs − slowest member's totalMs) / members. */
	readonly overheadPerNode: Summary;
	/** CPU time of this process (the daemon, in process) from the write to the record, per install. */
	readonly daemonCpuMs: Summary;
	/** The single-node baseline (dist), one install on a standalone node before each cluster install: both under the same load. */
	readonly singleNode: InstallLatency;
}

/**
 * A real ejabberd 23.01 cluster of `size` nodes, the daemon watching the first
 * node's ebin and reloading every member (`cluster: {}`: members found by
 * `nodes: auto`, strategy parallel), with the single-node bench's debounce.
 * A new version of a loaded module is deployed to every disk at once `runs`
 * times; each sample runs from the moment the first node's copy is fully
 * written to the batch record saying every node runs the new code (its MD5).
 * Each node is then asked the module's version, outside the timing.
 *
 * The single-node figure it is compared with is taken in the same loop: a
 * standalone sandbox node with its own daemon (dist) gets one install before
 * each cluster install, measured as install-latency.ts does. On a shared
 * machine the load changes within minutes; interleaved, both figures see it.
 * Every node is stopped in any case.
 */
export async function measureClusterLatency(runs: number, debounceMs: number, size = 3): Promise<ClusterLatency> {
	const module = 'bench_cluster';
	const buildDir = await mkdtemp(join(tmpdir(), 'reloader-bench-cluster-'));
	let single: SandboxNode | undefined;
	let cluster: TestCluster | undefined;
	const sessions: Array<LatencySession<unknown>> = [];
	try {
		const beams: string[] = [];
		for (let version = 0; version <= runs; version++) {
			const dir = join(buildDir, String(version));
			await mkdir(dir);
			beams.push(await compileGenerated(module, version, dir));
		}
		single = await startSandboxNode();
		cluster = await startCluster({size});
		await runEverywhere(cluster.nodes, beams[0] ?? '', module);
		const baseline = await openInstallLatency(single, {transport: 'dist', node: single.node, cookieFile: single.cookieFile}, runs, debounceMs);
		sessions.push(baseline);
		const clustered = await openClusterLatency(cluster, module, beams, debounceMs);
		sessions.push(clustered);
		for (let run = 1; run <= runs; run++) {
			await baseline.sample(run);
			await clustered.sample(run);
		}
		return {...clustered.result(), singleNode: baseline.result()};
	} finally {
		await Promise.allSettled(sessions.map(async session => session.close()));
		const stopped = await Promise.allSettled([cluster?.stop(), single?.stop()]);
		for (const result of stopped) {
			if (result.status === 'rejected') {
				console.error('bench: a node did not stop:', result.reason);
			}
		}
		await rm(buildDir, {recursive: true, force: true});
	}
}

/** The cluster's side of the loop: its daemon started, one sample per call. */
async function openClusterLatency(cluster: TestCluster, module: string, beams: readonly string[], debounceMs: number): Promise<LatencySession<Omit<ClusterLatency, 'singleNode'>>> {
	const {nodes} = cluster;
	const records = new RecordCollector();
	const daemon = await openDaemon(clusterConfig(cluster, debounceMs), records.report);
	const samples = {
		total: [] as number[], afterDebounce: [] as number[], detect: [] as number[], sync: [] as number[], slowestNode: [] as number[], clusterRest: [] as number[],
		nodeUpdateInfo: [] as number[], nodeUpdate: [] as number[], nodeVerify: [] as number[], nodeRest: [] as number[], overheadPerNode: [] as number[], daemonCpuMs: [] as number[],
	};
	let closed: Promise<void> | undefined;
	const close = async () => {
		closed ??= daemon.close('bench done');
		return closed;
	};
	try {
		await daemon.start();
	} catch (error) {
		await close();
		throw error;
	}
	return {
		async sample(version) {
			const beam = beams[version] ?? '';
			const expected = await codeMd5(beam);
			const since = records.mark();
			const deployment = await deployBeam(cluster, beam);
			await deployment.installs[0];
			const written = performance.now();
			const cpu = process.cpuUsage();
			const batch = await records.waitFor(clusterBatchWith(module), {since, what: `the batch with ${module}`});
			const elapsed = performance.now() - written;
			const cpuUsed = process.cpuUsage(cpu);
			await deployment.done;
			const outcomes = checkEveryNodeRuns(batch, nodes.map(node => node.node), module, expected, version);
			const answers = await Promise.all(nodes.map(async node => versionOn(node, module)));
			if (answers.some(answer => answer !== String(version))) {
				throw new Error(`Run ${version}: the nodes answer ${answers.join(', ')}`);
			}
			const slowest = Math.max(...outcomes.map(durations => durations.totalMs));
			const syncMs = batch.durations.syncMs ?? 0;
			samples.total.push(elapsed);
			samples.afterDebounce.push(elapsed - batch.durations.waitMs);
			samples.detect.push(elapsed - batch.durations.waitMs - batch.durations.totalMs);
			samples.sync.push(syncMs);
			samples.slowestNode.push(slowest);
			// Each duration is rounded to 0.1 ms: this difference can come out a little below zero.
			samples.clusterRest.push(batch.durations.totalMs - syncMs - slowest);
			samples.overheadPerNode.push((batch.durations.totalMs - slowest) / nodes.length);
			samples.daemonCpuMs.push((cpuUsed.user + cpuUsed.system) / 1000);
			for (const durations of outcomes) {
				samples.nodeUpdateInfo.push(durations.updateInfoMs);
				samples.nodeUpdate.push(durations.updateMs);
				samples.nodeVerify.push(durations.verifyMs);
				samples.nodeRest.push(durations.totalMs - durations.updateInfoMs - durations.updateMs - durations.verifyMs);
			}
		},
		result() {
			const {total, afterDebounce, overheadPerNode, daemonCpuMs, ...steps} = samples;
			return {
				size: nodes.length,
				strategy: 'parallel',
				debounceMs,
				startup: cluster.startup,
				total: summarize(total),
				afterDebounce: summarize(afterDebounce),
				steps: Object.fromEntries(Object.entries(steps).map(([name, values]) => [name, summarize(values)])) as unknown as ClusterLatency['steps'],
				overheadPerNode: summarize(overheadPerNode),
				daemonCpuMs: summarize(daemonCpuMs),
			};
		},
		close,
	};
}

/** The daemon as an operator runs it next to the first node (as test/support/cluster-daemon.ts builds it), with the single-node bench's timing settings. */
function clusterConfig(cluster: TestCluster, debounceMs: number): ResolvedConfig {
	const {first} = cluster;
	return resolveConfig({
		transport: 'dist',
		node: first.node,
		cookieFile: first.cookieFile,
		watch: [first.hostEbinDir],
		// A node in a root sees its ebin elsewhere than this process.
		paths: first.hostEbinDir === first.ebinDir ? [] : [{local: first.hostEbinDir, node: first.ebinDir}],
		debounceMs,
		maxWaitMs: Math.max(3000, debounceMs),
		cluster: {},
	});
}

/** The end of a sample: the record says every member is done and runs the new code's MD5; each member's durations. */
function checkEveryNodeRuns(batch: BatchRecord, members: readonly string[], module: string, expected: string, run: number): Array<NonNullable<NonNullable<BatchRecord['nodes']>[string]['durations']>> {
	const problems = members.flatMap(node => {
		const outcome = batch.nodes?.[node];
		return outcome?.state === 'done' && outcome.running[module] === expected && outcome.durations !== undefined ? [] : [`${node}: ${JSON.stringify(outcome)}`];
	});
	if (!batch.ok || problems.length > 0) {
		throw new Error(`Run ${run}: not every node runs ${module} ${expected} (ok: ${String(batch.ok)}): ${problems.join('; ')}`);
	}
	return members.map(node => batch.nodes?.[node]?.durations ?? {waitMs: 0, updateInfoMs: 0, updateMs: 0, verifyMs: 0, totalMs: 0});
}
