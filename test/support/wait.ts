import {setTimeout as delay} from 'node:timers/promises';
import {describeWitnesses} from './witness.ts';

/**
 * Poll a condition until it holds, with a generous limit; for state that has
 * no event. Giving up, it says what it waited for, and what every daemon the
 * test started said last and whether it still runs (test/support/witness.ts).
 */
export async function waitUntil(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!(await condition())) {
		if (Date.now() > deadline) {
			throw new Error(`Timed out after ${timeoutMs} ms waiting until ${what}${describeWitnesses()}`);
		}
		await delay(20);
	}
}
