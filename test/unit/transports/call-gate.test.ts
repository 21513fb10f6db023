import test from 'ava';
import {CallGate} from '../../../daemon/transports/call-gate.ts';

/*
 * The gate without a liveness probe, as ctl and http use it: calls of one
 * lane run one after the other, whatever their callers do; other lanes are
 * not held up. Each call is a promise the test settles by hand.
 */

function manual<T>() {
	let resolve!: (value: T) => void;
	let reject!: (error: unknown) => void;
	const promise = new Promise<T>((yes, no) => {
		resolve = yes;
		reject = no;
	});
	return {promise, resolve, reject};
}

const turn = (): Promise<void> => new Promise(resolve => setImmediate(resolve));

test('without a probe, calls of one lane run one at a time, in order; another lane is not held up', async t => {
	const gate = new CallGate({node: 'n@h', callTimeoutMs: 100, slowCallLimitMs: 100});
	const started: string[] = [];
	const calls = new Map(['a', 'b', 'c', 'other'].map(name => [name, manual<string>()]));
	const run = (lane: string, name: string) => gate.run(lane, name, () => {
		started.push(name);
		return calls.get(name)?.promise ?? Promise.reject(new Error('no such call'));
	});
	const a = run('scan', 'a');
	const b = run('scan', 'b');
	const c = run('scan', 'c');
	const other = run('else', 'other');
	await turn();
	t.deepEqual(started, ['a', 'other']);
	t.true(gate.busy('scan'));
	calls.get('a')?.reject(new Error('a failed'));
	await t.throwsAsync(a, {message: 'a failed'});
	await turn();
	t.deepEqual(started, ['a', 'other', 'b']);
	calls.get('b')?.resolve('b done');
	t.is(await b, 'b done');
	await turn();
	t.deepEqual(started, ['a', 'other', 'b', 'c']);
	calls.get('c')?.resolve('c done');
	calls.get('other')?.resolve('other done');
	t.deepEqual(await Promise.all([c, other]), ['c done', 'other done']);
	t.false(gate.busy('scan'));
	t.is(typeof gate.lastMs('scan'), 'number');
});

test('a caller that aborts while waiting its turn never starts its call', async t => {
	const gate = new CallGate({node: 'n@h', callTimeoutMs: 100, slowCallLimitMs: 100});
	const first = manual<string>();
	let secondStarted = false;
	const running = gate.run('scan', 'first', () => first.promise);
	const controller = new AbortController();
	const waiting = gate.run('scan', 'second', async () => {
		secondStarted = true;
		return 'second';
	}, controller.signal);
	controller.abort(new Error('gave up'));
	await t.throwsAsync(waiting, {message: 'gave up'});
	first.resolve('first');
	t.is(await running, 'first');
	t.false(secondStarted);
});

test('the expected time grows with the last measured call: max(callTimeoutMs, 3 × last)', async t => {
	const gate = new CallGate({node: 'n@h', callTimeoutMs: 10, slowCallLimitMs: 100});
	t.is(gate.expectedMs('scan'), 10);
	await gate.run('scan', 'slow', () => new Promise(resolve => setTimeout(resolve, 30)));
	t.true(gate.expectedMs('scan') >= 3 * (gate.lastMs('scan') ?? 0) - 1);
	t.true(gate.expectedMs('scan') > 10);
});
