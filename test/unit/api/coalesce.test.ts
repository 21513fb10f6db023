import test from 'ava';
import {Coalescer} from '../../../daemon/api/coalesce.ts';

/** A call the test finishes by hand, counting how many were started. */
function controlledCalls() {
	const finishers: ((value: number) => void)[] = [];
	const failers: ((error: Error) => void)[] = [];
	return {
		started: () => finishers.length,
		task: () => new Promise<number>((resolve, reject) => {
			finishers.push(resolve);
			failers.push(reject);
		}),
		finish(index: number, value: number) {
			finishers[index]?.(value);
		},
		fail(index: number, error: Error) {
			failers[index]?.(error);
		},
	};
}

const tick = () => new Promise(resolve => setImmediate(resolve));

test('the first call starts at once; calls made while it runs share one next call', async t => {
	const coalescer = new Coalescer<number>();
	const calls = controlledCalls();
	const first = coalescer.run('all', calls.task);
	t.is(calls.started(), 1);
	const later = Array.from({length: 99}, () => coalescer.run('all', calls.task));
	t.is(calls.started(), 1, 'nothing more starts while the first runs');
	t.is(coalescer.waiting, 1);
	t.true(later.every(promise => promise === later[0]), 'every later caller holds the same call');
	calls.finish(0, 10);
	t.is(await first, 10);
	await tick();
	t.is(calls.started(), 2);
	t.is(coalescer.waiting, 0);
	calls.finish(1, 20);
	t.deepEqual(new Set(await Promise.all(later)), new Set([20]));
});

test('a call made after the running one ended starts a fresh one', async t => {
	const coalescer = new Coalescer<number>();
	const calls = controlledCalls();
	const first = coalescer.run('all', calls.task);
	calls.finish(0, 1);
	await first;
	await tick();
	const second = coalescer.run('all', calls.task);
	t.is(calls.started(), 2, 'started at once, not queued behind an ended call');
	calls.finish(1, 2);
	t.is(await second, 2);
});

test('keys are independent', async t => {
	const coalescer = new Coalescer<number>();
	const calls = controlledCalls();
	const all = coalescer.run('all', calls.task);
	const named = coalescer.run('mod_a', calls.task);
	t.is(calls.started(), 2);
	calls.finish(0, 1);
	calls.finish(1, 2);
	t.deepEqual(await Promise.all([all, named]), [1, 2]);
});

test('a failure goes to every caller of that call, and the waiting call still starts', async t => {
	const coalescer = new Coalescer<number>();
	const calls = controlledCalls();
	const first = coalescer.run('all', calls.task);
	const joined = [coalescer.run('all', calls.task), coalescer.run('all', calls.task)];
	calls.fail(0, new Error('node down'));
	await t.throwsAsync(first, {message: 'node down'});
	await tick();
	t.is(calls.started(), 2);
	calls.fail(1, new Error('still down'));
	for (const promise of joined) {
		await t.throwsAsync(promise, {message: 'still down'});
	}
	const fresh = coalescer.run('all', async () => 3);
	t.is(await fresh, 3);
});

test('a task that throws synchronously rejects its callers and frees the key', async t => {
	const coalescer = new Coalescer<number>();
	await t.throwsAsync(coalescer.run('all', () => {
		throw new Error('bad');
	}), {message: 'bad'});
	await tick();
	t.is(await coalescer.run('all', async () => 4), 4);
});
