import test from 'ava';
import {backoffDelay} from '../../../daemon/node/backoff.ts';

test('doubles from the first delay and stays at the cap', t => {
	const options = {initialMs: 500, maxMs: 30_000};
	t.deepEqual([0, 1, 2, 3, 6, 7, 100].map(attempt => backoffDelay(attempt, options)), [500, 1000, 2000, 4000, 30_000, 30_000, 30_000]);
});
