/**
 * The mutation check of the simulation: each guard of the pipeline is broken
 * in turn, in a copy of the tree, and the simulation must fail. A guard whose
 * breaking passes is one the simulation no longer tests.
 *
 *   node --import=tsx test/unit/simulation/mutation-check.ts [--seeds N] [--only NAME,NAME]
 *   npm run mutation
 *
 * The guards and how each is broken are the table in mutations.ts; when the
 * code moves on and a mutation no longer applies, this check (and
 * mutations.test.ts, in every test run) fails saying so.
 */
import {spawn} from 'node:child_process';
import {cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join, resolve} from 'node:path';
import {parseArgs} from 'node:util';
import type {SeedsSummary} from './_run-many.ts';
import {MUTATIONS, applyMutation, type Mutation} from './mutations.ts';

const {values} = parseArgs({options: {seeds: {type: 'string', default: '2000'}, only: {type: 'string'}, jobs: {type: 'string', default: '2'}}});
const seeds = Number(values.seeds);
const jobs = Number(values.jobs);
if (!Number.isSafeInteger(seeds) || seeds < 1 || !Number.isSafeInteger(jobs) || jobs < 1) {
	process.stderr.write(`Expected --seeds and --jobs to be positive integers, got ${JSON.stringify(values.seeds)} and ${JSON.stringify(values.jobs)}\n`);
	process.exit(2);
}
const only = values.only?.split(',').map(name => name.trim());
const root = resolve(import.meta.dirname, '../../..');
const chosen = MUTATIONS.filter(({name}) => only === undefined || only.some(part => name.includes(part)));

/** A copy of what the simulation runs (daemon/, test/, package.json), node_modules linked; the mutation applied if given. */
function mutatedCopy(mutation: Mutation | undefined): string {
	const dir = mkdtempSync(join(tmpdir(), 'sim-mutation-'));
	for (const part of ['daemon', 'test', 'package.json']) {
		cpSync(join(root, part), join(dir, part), {recursive: true});
	}
	symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
	if (mutation !== undefined) {
		const path = join(dir, mutation.file);
		try {
			writeFileSync(path, applyMutation(mutation, readFileSync(path, 'utf8')));
		} catch (error) {
			rmSync(dir, {recursive: true, force: true});
			throw error;
		}
	}
	return dir;
}

/** Seeds 1..seeds of the simulation in `dir`, in a process of its own. */
function simulate(dir: string): Promise<SeedsSummary> {
	return new Promise((resolveRun, reject) => {
		const child = spawn(process.execPath, ['--import=tsx', 'test/unit/simulation/run-seeds.ts', '1', String(seeds)], {cwd: dir, stdio: ['ignore', 'pipe', 'pipe']});
		let out = '';
		let err = '';
		child.stdout.on('data', (chunk: Buffer) => {
			out += chunk.toString();
		});
		child.stderr.on('data', (chunk: Buffer) => {
			err += chunk.toString();
		});
		child.on('error', reject);
		child.on('close', code => {
			if (code === 0) {
				resolveRun(JSON.parse(out) as SeedsSummary);
			} else {
				reject(new Error(`the simulation exited with ${code}: ${err.slice(-2000)}`));
			}
		});
	});
}

interface Outcome {
	readonly name: string;
	readonly verdict: string;
	readonly ok: boolean;
}

async function check(mutation: Mutation | undefined): Promise<Outcome> {
	const name = mutation?.name ?? '(none: the tree as it is)';
	let dir: string;
	try {
		dir = mutatedCopy(mutation);
	} catch (error) {
		return {name, verdict: `NOT APPLIED: ${(error as Error).message}`, ok: false};
	}
	try {
		const summary = await simulate(dir);
		const failing = `${summary.failed.length} of ${seeds} seeds fail`;
		if (mutation === undefined) {
			return {name, verdict: summary.failed.length === 0 ? 'passes' : `${failing} (e.g. ${summary.failed.slice(0, 5).join(', ')})`, ok: summary.failed.length === 0};
		}
		return summary.failed.length > 0
			? {name, verdict: `caught: ${failing} (e.g. ${summary.failed.slice(0, 3).join(', ')})`, ok: true}
			: {name, verdict: 'NOT caught', ok: false};
	} catch (error) {
		return {name, verdict: `ERROR: ${(error as Error).message}`, ok: false};
	} finally {
		rmSync(dir, {recursive: true, force: true});
	}
}

const start = performance.now();
const work: Array<Mutation | undefined> = [undefined, ...chosen];
const outcomes: Outcome[] = [];
let next = 0;
await Promise.all(Array.from({length: Math.min(jobs, work.length)}, async () => {
	while (next < work.length) {
		const index = next++;
		const outcome = await check(work[index]);
		outcomes[index] = outcome;
		process.stderr.write(`${outcome.ok ? 'ok ' : 'BAD'} ${outcome.name}: ${outcome.verdict}\n`);
	}
}));
const width = Math.max(...outcomes.map(({name}) => name.length));
process.stdout.write(`\nMutation check, seeds 1-${seeds} each (${((performance.now() - start) / 1000).toFixed(0)} s):\n`);
for (const {name, verdict, ok} of outcomes) {
	process.stdout.write(`${ok ? '  ' : '! '}${name.padEnd(width)}  ${verdict}\n`);
}
const bad = outcomes.filter(({ok}) => !ok);
if (bad.length > 0) {
	process.stdout.write(`\n${bad.length} of ${outcomes.length} checks went wrong: a guard the simulation no longer catches, a mutation that no longer applies, or a simulation that fails unmutated.\n`);
	process.exitCode = 1;
}
