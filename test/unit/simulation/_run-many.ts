import type {ExecutionContext} from 'ava';
import {runSchedule, type ScheduleResult} from './run-schedule.ts';

/** Schedules in flight at once: each has its own clock, disk and node, so they only share the event loop's turns. */
const CONCURRENCY = 8;
const TRACE_LINES = 150;
const FAILURES = ['lost', 'partial', 'spurious', 'stuck'] as const;

/** Set to replay one schedule with its trace: `SIM_SEED=123 npx ava test/unit/simulation/`. */
export const REPLAY_SEED = process.env.SIM_SEED === undefined ? undefined : Number(process.env.SIM_SEED);

/** The list-only verification of ctl and http cannot tell an update that a racing write undid from one that worked: counted, not failed. */
export function failuresOf(result: ScheduleResult): string[] {
	return FAILURES.flatMap(kind => (kind === 'spurious' && result.parameters.flavor === 'list' ? [] : result[kind].map(what => `${kind}: ${what}`)));
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

/** Run these seeds, log what they did, and fail listing every failing seed (the first few with their trace). */
export async function checkSchedules(t: ExecutionContext, seeds: readonly number[], label: string): Promise<void> {
	const summary = {batches: 0, writes: 0, failed: [] as number[], listSpurious: [] as number[]};
	const start = performance.now();
	let next = 0;
	await Promise.all(Array.from({length: CONCURRENCY}, async () => {
		while (next < seeds.length) {
			const seed = seeds[next++] ?? 0;
			const result = await runSchedule(seed);
			summary.batches += result.batches;
			summary.writes += result.writes;
			if (failuresOf(result).length > 0) {
				summary.failed.push(seed);
			} else if (result.spurious.length > 0) {
				summary.listSpurious.push(seed);
			}
		}
	}));
	const seconds = (performance.now() - start) / 1000;
	t.log(`${seeds.length} schedules (${label}) in ${seconds.toFixed(1)} s (${Math.round(seeds.length / seconds)}/s): ${summary.batches} batches, ${summary.writes} writes`);
	if (summary.listSpurious.length > 0) {
		t.log(`list verification (ctl, http) reported updated after a racing write undid the update in ${summary.listSpurious.length} schedules, e.g. seeds ${summary.listSpurious.sort((a, b) => a - b).slice(0, 5).join(', ')}`);
	}
	summary.failed.sort((a, b) => a - b);
	for (const seed of summary.failed.slice(0, 3)) {
		t.log(await describeFailure(seed));
	}
	t.deepEqual(summary.failed, [], `${summary.failed.length} schedules failed; replay one with SIM_SEED=<seed> npx ava test/unit/simulation/`);
}

/** Seeds `from` to `to`, both included. */
export function seedRange(from: number, to: number): number[] {
	return Array.from({length: to - from + 1}, (_, index) => from + index);
}
