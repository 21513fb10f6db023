import {mkdir, writeFile} from 'node:fs/promises';
import {cpus, totalmem} from 'node:os';
import {startSandboxNode} from '../../daemon/sandbox/sandbox-node.ts';
import {installBeam, compileGenerated} from '../support/fixtures.ts';
import {nodeCall} from '../support/ejabberd.ts';
import {measureByHand} from './by-hand.ts';
import {measureInstallLatency} from './install-latency.ts';
import type {Summary} from './stats.ts';

/**
 * `npm run bench`: measures against a real sandbox ejabberd node, prints a
 * table and writes bench-results/latest.json. Numbers, never assertions.
 */
const RUNS = Number(process.env.BENCH_RUNS ?? 30);
const DEBOUNCE_MS = 300;

const node = await startSandboxNode();
const rows: [string, Summary][] = [];
const results: Record<string, unknown> = {
	machine: {cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version},
	runs: RUNS,
	debounceMs: DEBOUNCE_MS,
};
try {
	const ctl = await measureInstallLatency(node, {transport: 'ctl', node: node.node, ctl: {command: [...node.ctlCommand]}}, RUNS, DEBOUNCE_MS);
	rows.push(
		['ctl: install → new code loaded', ctl.total],
		['ctl: same, after the debounce', ctl.afterDebounce],
		['ctl: step: write seen and settled (≈ ±5 ms: two clocks)', ctl.steps.detect],
		['ctl: step: update_info (ejabberdctl update_list)', ctl.steps.updateInfo],
		['ctl: step: update (ejabberdctl update MOD)', ctl.steps.update],
		['ctl: step: verify (ejabberdctl update_list)', ctl.steps.verify],
	);
	results.ctl = ctl;

	const buildDir = `${node.dir}/bench-by-hand`;
	await mkdir(buildDir);
	const beams = await Promise.all(Array.from({length: RUNS + 1}, async (_, version) => {
		await mkdir(`${buildDir}/${version}`);
		return compileGenerated('bench_by_hand', version, `${buildDir}/${version}`);
	}));
	await installBeam(beams[0] ?? '', node.ebinDir);
	await nodeCall(node, 'code:ensure_loaded(bench_by_hand)');
	const byHand = await measureByHand(node, 'bench_by_hand', RUNS, async index => {
		await installBeam(beams[index + 1] ?? '', node.ebinDir);
	});
	rows.push(['by hand: ejabberdctl update_list + update', byHand]);
	results.byHand = byHand;
} finally {
	await node.stop();
}

const table = [
	`| measurement (${RUNS} runs, debounce ${DEBOUNCE_MS} ms) | p50 ms | p95 ms | min | max |`,
	'| --- | ---: | ---: | ---: | ---: |',
	...rows.map(([name, s]) => `| ${name} | ${s.p50} | ${s.p95} | ${s.min} | ${s.max} |`),
].join('\n');
console.log(table);
await mkdir('bench-results', {recursive: true});
await writeFile('bench-results/latest.json', `${JSON.stringify(results, null, 2)}\n`);
console.log('\nwrote bench-results/latest.json');
