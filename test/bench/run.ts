import {mkdir, writeFile} from 'node:fs/promises';
import {cpus, totalmem} from 'node:os';
import type {UserConfig} from '../../daemon/config/schema.ts';
import {startSandboxNode, type SandboxNode} from '../../daemon/sandbox/sandbox-node.ts';
import {nodeCall} from '../support/ejabberd.ts';
import {compileGenerated, installBeam} from '../support/fixtures.ts';
import {measureBurst} from './burst.ts';
import {measureByHand} from './by-hand.ts';
import {measureIdle} from './idle.ts';
import {measureInstallLatency, type InstallLatency} from './install-latency.ts';
import {measureRpcRoundTrip} from './rpc-roundtrip.ts';
import type {Summary} from './stats.ts';

/**
 * `npm run bench`: everything measured in one run, on one machine, against a
 * real sandbox ejabberd node; prints tables and writes bench-results/latest.json.
 * Numbers are reported against the targets, never asserted.
 */
const RUNS = Number(process.env.BENCH_RUNS ?? 30);
const IDLE_SECONDS = Number(process.env.BENCH_IDLE_SECONDS ?? 60);
const DEBOUNCE_MS = 300;

const transports = {
	dist: (node: SandboxNode): UserConfig => ({transport: 'dist', node: node.node, cookieFile: node.cookieFile}),
	ctl: (node: SandboxNode): UserConfig => ({transport: 'ctl', node: node.node, ctl: {command: [...node.ctlCommand]}}),
	http: (node: SandboxNode): UserConfig => ({transport: 'http', node: node.node, http: {url: `http://127.0.0.1:${node.ports.http}/api`}}),
};

const node = await startSandboxNode();
const results: Record<string, unknown> = {
	date: new Date().toISOString(),
	machine: {cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, user: process.getuid?.() === 0 ? 'root' : 'other'},
	runs: RUNS,
	debounceMs: DEBOUNCE_MS,
};
const latency: Record<string, InstallLatency> = {};
try {
	results.rpc = await measureRpcRoundTrip(node, 2000);
	for (const [name, config] of Object.entries(transports)) {
		latency[name] = await measureInstallLatency(node, config(node), RUNS, DEBOUNCE_MS);
	}
	results.installLatency = latency;
	results.byHand = await measureByHandFlow(node);
	results.burst = await measureBurst(node, transports.dist(node), 20);
	results.idle = await measureIdle(node, transports.dist(node), IDLE_SECONDS);
} finally {
	await node.stop();
}

printReport(results, latency);
await mkdir('bench-results', {recursive: true});
await writeFile('bench-results/latest.json', `${JSON.stringify(results, null, 2)}\n`);
console.log('\nwrote bench-results/latest.json');

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
	const rpc = all.rpc as Awaited<ReturnType<typeof measureRpcRoundTrip>>;
	const byHand = all.byHand as Summary;
	const burst = all.burst as Awaited<ReturnType<typeof measureBurst>>;
	const idle = all.idle as Awaited<ReturnType<typeof measureIdle>>;
	const row = (name: string, s: Summary) => `| ${name} | ${s.p50} | ${s.p95} | ${s.min} | ${s.max} |`;
	console.log([
		`| latency (ms; ${RUNS} installs per transport, debounce ${DEBOUNCE_MS} ms) | p50 | p95 | min | max |`,
		'| --- | ---: | ---: | ---: | ---: |',
		row(`dist rpc round-trip (2000 calls, ${rpc.callsPerSecond} calls/s; connect ${rpc.connectMs} ms)`, rpc.call),
		...Object.entries(perTransport).flatMap(([name, l]) => [
			row(`${name}: install → new code loaded`, l.total),
			row(`${name}: same, after the debounce`, l.afterDebounce),
		]),
		row('by hand: ejabberdctl update_list + update MOD', byHand),
		'',
		'| burst (dist) | beams written | really changed | batches | updated | missed | spurious | failed | total ms |',
		'| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
		`| make install-like | ${burst.beamsWritten} | ${burst.reallyChanged} | ${burst.batches} | ${burst.updated} | ${burst.missed} | ${burst.spurious} | ${burst.failed} | ${burst.totalMs} |`,
		'',
		`| idle daemon (dist), ${idle.seconds} s watching ${idle.beamsWatched} beams | CPU | peak RSS |`,
		'| --- | ---: | ---: |',
		`| built CLI, \`run\` | ${idle.cpuPercent} % | ${idle.peakRssMiB} MiB |`,
	].join('\n'));
	const dist = perTransport.dist;
	const ctl = perTransport.ctl;
	if (dist !== undefined && ctl !== undefined) {
		const ratio = Math.round((ctl.afterDebounce.p50 / dist.afterDebounce.p50) * 10) / 10;
		console.log([
			'',
			'targets:',
			`- dist install → new code p50 ${dist.total.p50} ms, target ≤ debounce + 250 = ${DEBOUNCE_MS + 250} ms: ${dist.total.p50 <= DEBOUNCE_MS + 250 ? 'met' : 'MISSED'}`,
			`- dist vs ctl after the debounce: ${ratio}× faster, target ≥ 3×: ${ratio >= 3 ? 'met' : 'MISSED'}`,
			`- burst: ${burst.batches} batch(es), ${burst.updated} updated, ${burst.missed} missed, ${burst.spurious} spurious; target 1/20/0/0: ${burst.batches === 1 && burst.updated === 20 && burst.missed === 0 && burst.spurious === 0 ? 'met' : 'MISSED'}`,
			`- idle: ${idle.cpuPercent} % CPU, ${idle.peakRssMiB} MiB; target < 1 % and < 120 MB: ${idle.cpuPercent < 1 && idle.peakRssMiB < 120 ? 'met' : 'MISSED'}`,
		].join('\n'));
	}
}
