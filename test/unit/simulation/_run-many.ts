import type {ExecutionContext} from 'ava';
import {runSchedule, type ScheduleResult} from './run-schedule.ts';

/** Schedules in flight at once: each has its own clock, disk and node, so they only share the event loop's turns. */
const CONCURRENCY = 8;
const TRACE_LINES = 150;
const FAILURES = ['lost', 'partial', 'spurious', 'raced', 'stuck', 'ledger'] as const;

/** Set to replay one schedule with its trace: `SIM_SEED=123 npx ava test/unit/simulation/`. */
export const REPLAY_SEED = process.env.SIM_SEED === undefined ? undefined : Number(process.env.SIM_SEED);

/** What a schedule broke; a spurious update the daemon could not tell (result.excused) is counted, not failed. */
export function failuresOf(result: ScheduleResult): string[] {
	return FAILURES.flatMap(kind => result[kind].map(what => `${kind}: ${what}`));
}

async function describeFailure(seed: number): Promise<string> {
	const replay = await runSchedule(seed, {trace: true});
	return [
		`seed ${seed} (replay: SIM_SEED=${seed} npx ava test/unit/simulation/)`,
		`parameters ${JSON.stringify(replay.parameters)}`,
		...failuresOf(replay),
		...replay.trace.slice(-TRACE_LINES),
	].join('\n');
}

export interface SeedsSummary {
	batches: number;
	writes: number;
	/** Writes whose every watcher event was dropped: found by the directory sweep alone. */
	droppedFinals: number;
	/** Failing seeds, in order. */
	readonly failed: number[];
	/** Seeds that passed with a spurious update the daemon could not tell (list verification). */
	readonly excused: number[];
	seconds: number;
}

/** Run these seeds, CONCURRENCY at a time, and sum up what they did (the simulation's tests and the mutation check). */
export async function runSeeds(seeds: readonly number[]): Promise<SeedsSummary> {
	const summary: SeedsSummary = {batches: 0, writes: 0, droppedFinals: 0, failed: [], excused: [], seconds: 0};
	const start = performance.now();
	let next = 0;
	await Promise.all(Array.from({length: CONCURRENCY}, async () => {
		while (next < seeds.length) {
			const seed = seeds[next++] ?? 0;
			const result = await runSchedule(seed);
			summary.batches += result.batches;
			summary.writes += result.writes;
			summary.droppedFinals += result.droppedFinals;
			if (failuresOf(result).length > 0) {
				summary.failed.push(seed);
			} else if (result.excused.length > 0) {
				summary.excused.push(seed);
			}
		}
	}));
	summary.seconds = (performance.now() - start) / 1000;
	summary.failed.sort((a, b) => a - b);
	summary.excused.sort((a, b) => a - b);
	return summary;
}

/** Run these seeds, log what they did, and fail listing every failing seed (the first few with their trace). */
export async function checkSchedules(t: ExecutionContext, seeds: readonly number[], label: string): Promise<void> {
	const summary = await runSeeds(seeds);
	const {seconds} = summary;
	t.log(`${seeds.length} schedules (${label}) in ${seconds.toFixed(1)} s (${Math.round(seeds.length / seconds)}/s): ${summary.batches} batches, ${summary.writes} writes, ${summary.droppedFinals} of them with every watcher event dropped (the sweep's to find)`);
	if (summary.excused.length > 0) {
		t.log(`list verification (ctl, http) reported updated after a write the daemon had not heard of yet undid the update (or in an \`all\` batch) in ${summary.excused.length} schedules, e.g. seeds ${summary.excused.slice(0, 5).join(', ')}`);
	}
	for (const seed of summary.failed.slice(0, 3)) {
		t.log(await describeFailure(seed));
	}
	t.deepEqual(summary.failed, [], `${summary.failed.length} schedules failed; replay one with SIM_SEED=<seed> npx ava test/unit/simulation/`);
}

/** Seeds `from` to `to`, both included. */
export function seedRange(from: number, to: number): number[] {
	return Array.from({length: to - from + 1}, (_, index) => from + index);
}
