import {randomInt} from 'node:crypto';
import test from 'ava';
import {REPLAY_SEED, checkSchedules, seedRange} from './_run-many.ts';

/** The second half of the fixed seeds, and a run of random ones drawn anew each time (see simulation.test.ts). */
const HALF = Number(process.env.SIM_SCHEDULES ?? 10_000) / 2;
const RANDOM = Number(process.env.SIM_RANDOM_SCHEDULES ?? 500);

if (REPLAY_SEED === undefined) {
	test(`simulation: fixed seeds ${HALF + 1}-${HALF * 2} and ${RANDOM} random ones lose nothing, load nothing partial, update nothing spuriously, leave nothing behind`, async t => {
		t.timeout(600_000);
		const base = randomInt(1_000_000, 2_000_000_000);
		await checkSchedules(t, [...seedRange(HALF + 1, HALF * 2), ...seedRange(base, base + RANDOM - 1)], `seeds ${HALF + 1}-${HALF * 2}, random ${base}-${base + RANDOM - 1}`);
	});
} else {
	test.skip('simulation: the second half is skipped while a seed is replayed', () => undefined);
}
