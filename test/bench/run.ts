import {mkdir, writeFile} from 'node:fs/promises';
import {cpus, loadavg, totalmem} from 'node:os';
import type {UserConfig} from '../../daemon/config/schema.ts';
import {startSandboxNode, type SandboxNode} from '../../daemon/sandbox/sandbox-node.ts';
import {nodeCall} from '../support/ejabberd.ts';
import {compileGenerated, installBeam} from '../support/fixtures.ts';
import {measureBurst} from './burst.ts';
import {measureByHand} from './by-hand.ts';
import {measureIdle} from './idle.ts';
import {measureClusterLatency, type ClusterLatency} from './cluster-latency.ts';
import {measureInstallLatency, type InstallLatency} from './install-latency.ts';
import {measureRpcRoundTrip} from './rpc-roundtrip.ts';
import {measureSaveByHand, measureSaveLatency, type SaveLatency} from './save-latency.ts';
import type {Summary} from './stats.ts';

/**
 * `npm run bench`: everything measured in one run, on one machine, against a
 * real sandbox ejabberd node (and a real three-node cluster); prints tables
 * and writes bench-results/latest.json. Numbers are reported against the
 * targets, never asserted.
 * `npm run bench -- cluster dist` runs only the parts named (see PARTS); the
 * cluster part measures the single-node dist figure it is compared with in
 * its own loop. A partial run writes bench-results/<parts>.json instead.
 */
const RUNS = Number(process.env.BENCH_RUNS ?? 30);
const IDLE_SECONDS = Number(process.env.BENCH_IDLE_SECONDS ?? 60);
const DEBOUNCE_MS = 300;
/** The daemon's default cap: a burst that outlasts it is cut, whatever its quiet window. */
const MAX_WAIT_MS = 3000;
/** `make install`-like bursts per writer (one `install`, one `install` per beam). */
const BURST_ROUNDS = Number(process.env.BENCH_BURST_ROUNDS ?? 5);
/** Lone saves after the bursts, to show what the quiet window adds to one. */
const BURST_SINGLE_SAVES = Number(process.env.BENCH_BURST_SINGLE_SAVES ?? 10);
const CLUSTER_SIZE = 3;
/** Parallel cluster install → verified p50, at most this many times the single-node dist p50. */
const CLUSTER_TARGET_RATIO = 1.5;
/** What the cluster adds to a batch, per member, at most this many ms (p50). */
const CLUSTER_OVERHEAD_TARGET_MS = 5;

const transports = {
	dist: (node: SandboxNode): UserConfig => ({transport: 'dist', node: node.node, cookieFile: node.cookieFile}),
	ctl: (node: SandboxNode): UserConfig => ({transport: 'ctl', node: node.node, ctl: {command: [...node.ctlCommand]}}),
	http: (node: SandboxNode): UserConfig => ({transport: 'http', node: node.node, http: {url: `http://127.0.0.1:${node.ports.http}/api`}}),
};

const PARTS = ['rpc', 'dist', 'ctl', 'http', 'by-hand', 'save', 'burst', 'idle', 'cluster'] as const;
type Part = (typeof PARTS)[number];
const parts = selectParts(process.argv.slice(2));
const full = parts.size === PARTS.length;

const results: Record<string, unknown> = {
	date: new Date().toISOString(),
	machine: {cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, user: process.getuid?.() === 0 ? 'root' : 'other'},
	runs: RUNS,
	debounceMs: DEBOUNCE_MS,
	parts: [...parts],
};
const latency: Record<string, InstallLatency> = {};
/** The 1-minute load average before and after each latency part: the machine is shared, and the comparisons hold only under similar load. */
const load: Record<string, {before: number; after: number}> = {};
results.loadavg = load;
// The single-node parts first, their node stopped before the cluster starts (which brings its own single-node baseline).
if (PARTS.some(part => part !== 'cluster' && parts.has(part))) {
	await measureOnSandboxNode();
}

if (parts.has('cluster')) {
	results.cluster = await underLoad('cluster', async () => measureClusterLatency(RUNS, DEBOUNCE_MS, CLUSTER_SIZE));
}

printReport(results, latency);
const file = full ? 'bench-results/latest.json' : `bench-results/${[...parts].join('+')}.json`;
await mkdir('bench-results', {recursive: true});
await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
console.log(`\nwrote ${file}`);

/** The single-node parts, on one sandbox node. */
async function measureOnSandboxNode(): Promise<void> {
	const node = await startSandboxNode();
	try {
		if (parts.has('rpc')) {
			results.rpc = await measureRpcRoundTrip(node, 2000);
		}
		for (const [name, config] of Object.entries(transports)) {
			if (parts.has(name as Part)) {
				latency[name] = await underLoad(name, async () => measureInstallLatency(node, config(node), RUNS, DEBOUNCE_MS));
			}
		}
		results.installLatency = latency;
		if (parts.has('by-hand')) {
			results.byHand = await measureByHandFlow(node);
		}
		if (parts.has('save')) {
			// Save to live against the same change made by hand, in the same run.
			results.save = await underLoad('save', async () => ({
				daemon: await measureSaveLatency(node, transports.dist(node), RUNS, DEBOUNCE_MS),
				byHand: await measureSaveByHand(node, RUNS),
			}));
		}
		if (parts.has('burst')) {
			results.burst = await underLoad('burst', async () => measureBurst(node, transports.dist(node), {
				changed: 20,
				rounds: BURST_ROUNDS,
				writers: ['install', 'make'],
				singleSaves: BURST_SINGLE_SAVES,
				debounceMs: DEBOUNCE_MS,
				maxWaitMs: MAX_WAIT_MS,
			}));
		}
		if (parts.has('idle')) {
			results.idle = await measureIdle(node, transports.dist(node), IDLE_SECONDS);
		}
	} finally {
		await node.stop();
	}
}

async function underLoad<T>(part: string, measure: () => Promise<T>): Promise<T> {
	const before = currentLoad();
	const result = await measure();
	load[part] = {before, after: currentLoad()};
	return result;
}

function currentLoad(): number {
	return Math.round((loadavg()[0] ?? 0) * 100) / 100;
}

/** The parts named on the command line (all when none), in PARTS order. */
function selectParts(args: readonly string[]): Set<Part> {
	const unknown = args.filter(arg => !(PARTS as readonly string[]).includes(arg));
	if (unknown.length > 0) {
		throw new TypeError(`Unknown bench part(s) ${unknown.map(arg => `\`${arg}\``).join(', ')}; expected any of ${PARTS.join(', ')} (none: all)`);
	}
	const selected = new Set<Part>(args.length === 0 ? PARTS : args as Part[]);
	return new Set(PARTS.filter(part => selected.has(part)));
}

async function measureByHandFlow(sandbox: SandboxNode): Promise<Summary> {
	const buildDir = `${sandbox.dir}/bench-by-hand`;
	await mkdir(buildDir);
	const beams = await Promise.all(Array.from({length: RUNS + 1}, async (_, version) => {
		await mkdir(`${buildDir}/${version}`);
		return compileGenerated('bench_by_hand', version, `${buildDir}/${version}`);
	}));
	await installBeam(beams[0] ?? '', sandbox.ebinDir);
	await nodeCall(sandbox, 'code:ensure_loaded(bench_by_hand)');
	return measureByHand(sandbox, 'bench_by_hand', RUNS, async index => {
		await installBeam(beams[index + 1] ?? '', sandbox.ebinDir);
	});
}

function printReport(all: Record<string, unknown>, perTransport: Record<string, InstallLatency>): void {
	const rpc = all.rpc as Awaited<ReturnType<typeof measureRpcRoundTrip>> | undefined;
	const byHand = all.byHand as Summary | undefined;
	const burst = all.burst as Awaited<ReturnType<typeof measureBurst>> | undefined;
	const idle = all.idle as Awaited<ReturnType<typeof measureIdle>> | undefined;
	const save = all.save as {daemon: SaveLatency; byHand: Summary} | undefined;
	const cluster = all.cluster as ClusterLatency | undefined;
	const row = (name: string, s: Summary) => `| ${name} | ${s.p50} | ${s.p95} | ${s.min} | ${s.max} |`;
	const lines = [
		`| latency (ms; ${RUNS} installs per transport, debounce ${DEBOUNCE_MS} ms) | p50 | p95 | min | max |`,
		'| --- | ---: | ---: | ---: | ---: |',
		...(rpc === undefined ? [] : [row(`dist rpc round-trip (2000 calls, ${rpc.callsPerSecond} calls/s; connect ${rpc.connectMs} ms)`, rpc.call)]),
		...Object.entries(perTransport).flatMap(([name, l]) => [
			row(`${name}: install → new code loaded`, l.total),
			row(`${name}: same, after the debounce`, l.afterDebounce),
		]),
		...(cluster === undefined ? [] : [
			row('dist single node, interleaved with the cluster: install → new code loaded', cluster.singleNode.total),
			row('dist single node, interleaved: same, after the debounce', cluster.singleNode.afterDebounce),
			row(`dist cluster of ${cluster.size} (${cluster.strategy}): install → new code verified on every node`, cluster.total),
			row('dist cluster: same, after the debounce', cluster.afterDebounce),
		]),
		...(byHand === undefined ? [] : [row('by hand: ejabberdctl update_list + update MOD', byHand)]),
	];
	if (save !== undefined) {
		const {daemon, byHand: hand} = save;
		lines.push(
			'',
			`| save → new code verified (ms; ${RUNS} saves of a loaded module, dist, compiled by ${daemon.compiler}, debounce ${daemon.debounceMs} ms) | p50 | p95 | min | max |`,
			'| --- | ---: | ---: | ---: | ---: |',
			row('save → new code verified', daemon.total),
			row('of it, the compile itself', daemon.compile),
			row('of it, the batch on the node (update_info + update + verify)', daemon.batch),
			row('overhead: the rest, less the quiet window (detect, read, write the beam, hand it on)', daemon.overhead),
			row('by hand: erlc (the sandbox\'s flags) + ejabberdctl update_list + update M', hand),
			`- p50 ratio daemon / by hand: ${Math.round((daemon.total.p50 / hand.p50) * 100) / 100} (target ≤ 0.5); overhead p50 ${daemon.overhead.p50} ms (target ≤ 150)`,
		);
	}
	if (burst !== undefined) {
		lines.push(
			'',
			`| burst (dist; ${burst.beamsWritten} beams written, ${burst.reallyChanged} really changed; debounce ${burst.debounceMs}, maxWait ${burst.maxWaitMs}) | load | batches | of them re-offers | updated | missed | spurious | failed | write ms | events span ms | longest event gap ms | total ms |`,
			'| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
			...burst.rounds.map(r => `| ${r.writer === 'install' ? 'one `install`' : '`make`, one `install` per beam'} | ${r.load} | ${r.batches}${r.batches > 1 ? ` (${r.batchSizes.join('+')})` : ''} | ${r.reoffered} | ${r.updated} | ${r.missed} | ${r.spurious} | ${r.failed} | ${r.writeMs} | ${r.eventSpanMs} | ${r.longestEventGapMs} | ${r.totalMs} |`),
			...burst.rounds.filter(r => r.batches > 1).map(r => `- ${r.writer} round at load ${r.load}: ${r.batchLog.join('; ')}`),
			'',
			`| a lone save after the bursts: the batch's waitMs − debounce (ms; ${burst.singleSaveAddedMs.n} saves) | p50 | p95 | min | max |`,
			'| --- | ---: | ---: | ---: | ---: |',
			row('added to a single save', burst.singleSaveAddedMs),
		);
	}
	if (idle !== undefined) {
		lines.push(
			'',
			`| idle daemon (dist), ${idle.seconds} s watching ${idle.beamsWatched} beams | CPU | peak RSS |`,
			'| --- | ---: | ---: |',
			`| built CLI, \`run\` | ${idle.cpuPercent} % | ${idle.peakRssMiB} MiB |`,
		);
	}
	const dist = perTransport.dist;
	if (cluster !== undefined) {
		const {steps} = cluster;
		lines.push(
			'',
			`| where a cluster batch goes (ms; ${RUNS} installs, ${cluster.size} nodes) | p50 | p95 | min | max |`,
			'| --- | ---: | ---: | ---: | ---: |',
			row('detect (last write → batch start, plus the record\'s way back)', steps.detect),
			row('disk agreement (durations.syncMs)', steps.sync),
			row('slowest member\'s own batch (max nodes[n].durations.totalMs)', steps.slowestNode),
			row('cluster layer besides (totalMs − syncMs − slowest member)', steps.clusterRest),
			row('per member: update_info', steps.nodeUpdateInfo),
			row('per member: update', steps.nodeUpdate),
			row('per member: verify by MD5', steps.nodeVerify),
			row('per member: the rest of its batch (beam checks, states, holders, unpurged)', steps.nodeRest),
			row('cluster overhead per member ((totalMs − slowest member) / members)', cluster.overheadPerNode),
			row('single node, interleaved: update_info', cluster.singleNode.steps.updateInfo),
			row('single node, interleaved: update', cluster.singleNode.steps.update),
			row('daemon CPU per install, cluster', cluster.daemonCpuMs),
			row('daemon CPU per install, single node, interleaved', cluster.singleNode.daemonCpuMs),
		);
	}
	lines.push('', `load average (1 min) before → after: ${Object.entries(load).map(([part, {before, after}]) => `${part} ${before} → ${after}`).join(', ')} (${cpus().length} cores)`);
	console.log(lines.join('\n'));

	const ctl = perTransport.ctl;
	const targets: string[] = [];
	if (dist !== undefined) {
		targets.push(`- dist install → new code p50 ${dist.total.p50} ms, target ≤ debounce + 250 = ${DEBOUNCE_MS + 250} ms: ${dist.total.p50 <= DEBOUNCE_MS + 250 ? 'met' : 'MISSED'}`);
	}
	if (dist !== undefined && ctl !== undefined) {
		const ratio = Math.round((ctl.afterDebounce.p50 / dist.afterDebounce.p50) * 10) / 10;
		targets.push(`- dist vs ctl after the debounce: ${ratio}× faster, target ≥ 3×: ${ratio >= 3 ? 'met' : 'MISSED'}`);
	}
	if (burst !== undefined) {
		for (const writer of new Set(burst.rounds.map(r => r.writer))) {
			const rounds = burst.rounds.filter(r => r.writer === writer);
			const one = rounds.filter(r => r.batches - r.reoffered === 1 && r.updated === burst.reallyChanged && r.missed === 0 && r.spurious === 0).length;
			targets.push(`- burst (${writer}): ${one} of ${rounds.length} round(s) one batch with ${burst.reallyChanged} updated, 0 missed, 0 spurious, not counting re-offers (batches ${rounds.map(r => r.reoffered > 0 ? `${r.batches} incl. ${r.reoffered} re-offer` : String(r.batches)).join(', ')}); target every round: ${one === rounds.length ? 'met' : 'MISSED'}`);
		}
	}
	if (idle !== undefined) {
		targets.push(`- idle: ${idle.cpuPercent} % CPU, ${idle.peakRssMiB} MiB; target < 1 % and < 120 MB: ${idle.cpuPercent < 1 && idle.peakRssMiB < 120 ? 'met' : 'MISSED'}`);
	}
	if (cluster !== undefined) {
		const single = cluster.singleNode.total.p50;
		const ratio = Math.round((cluster.total.p50 / single) * 100) / 100;
		targets.push(
			`- cluster of ${cluster.size} (parallel) install → verified everywhere p50 ${cluster.total.p50} ms vs single node (interleaved) ${single} ms: ${ratio}×, target ≤ ${CLUSTER_TARGET_RATIO}×: ${ratio <= CLUSTER_TARGET_RATIO ? 'met' : 'MISSED'}`,
			`- cluster overhead per member p50 ${cluster.overheadPerNode.p50} ms, target < ${CLUSTER_OVERHEAD_TARGET_MS} ms: ${cluster.overheadPerNode.p50 < CLUSTER_OVERHEAD_TARGET_MS ? 'met' : 'MISSED'}`,
		);
	}
	if (targets.length > 0) {
		console.log(['', 'targets:', ...targets].join('\n'));
	}
}
