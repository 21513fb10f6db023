import test from 'ava';
import type {Batch} from '../../../daemon/batcher/batch.ts';
import {Batcher} from '../../../daemon/batcher/batcher.ts';
import {FakeClock} from '../../support/fake-clock.ts';

function setup(debounceMs = 300, maxWaitMs = 3000) {
	const clock = new FakeClock();
	const batches: Batch[] = [];
	const batcher = new Batcher({debounceMs, maxWaitMs, clock, onBatch: batch => batches.push(batch)});
	const change = (module: string, path = `/ebin/${module}.beam`) => batcher.add({module, path, at: clock.now()});
	return {clock, batches, batcher, change};
}

const modules = (batch: Batch | undefined) => batch?.changes.map(change => change.module);

test('a burst of changes closes as one batch after the quiet window', t => {
	const {clock, batches, change} = setup();
	for (let index = 0; index < 50; index++) {
		change(`mod_${index}`);
		clock.advance(10);
	}
	// The last change came at 490 and the clock now reads 500. A burst waits
	// the debounce plus half its span (QuietWindow): 300 + 245, so the window
	// ends at 1035 (a lone debounce ended it at 790).
	t.is(batches.length, 0);
	clock.advance(534);
	t.is(batches.length, 0, 'still inside the quiet window of the last change');
	clock.advance(1);
	t.is(batches.length, 1);
	t.is(batches[0]?.changes.length, 50);
	t.is(batches[0]?.firstChangeAt, 0);
	t.is(batches[0]?.closedAt, 1035);
});

test('a lone change still closes after debounceMs', t => {
	const {clock, batches, change} = setup();
	clock.advance(1000);
	change('mod_a');
	clock.advance(299);
	t.is(batches.length, 0);
	clock.advance(1);
	t.is(batches[0]?.closedAt, 1300);
});

test('a burst is not cut by a pause longer than debounceMs inside it', t => {
	const {clock, batches, change} = setup();
	for (let index = 0; index < 100; index++) {
		change(`mod_${index}`);
		clock.advance(5);
	}
	// 500 ms of burst, then a 500 ms pause (a loaded host), then the rest of it.
	clock.advance(495);
	change('mod_last');
	clock.advance(3000);
	t.is(batches.length, 1);
	t.is(batches[0]?.changes.length, 101);
});

test('changes of one module coalesce, the newest path wins', t => {
	const {clock, batches, change} = setup();
	change('mod_a', '/one/mod_a.beam');
	change('mod_b');
	change('mod_a', '/two/mod_a.beam');
	clock.advance(300);
	t.deepEqual(modules(batches[0]), ['mod_b', 'mod_a']);
	t.is(batches[0]?.changes.find(c => c.module === 'mod_a')?.path, '/two/mod_a.beam');
});

test('a steady stream is cut at maxWaitMs from the first change', t => {
	const {clock, batches, change} = setup(300, 1000);
	for (let index = 0; index < 30; index++) {
		change(`mod_${index % 3}`);
		clock.advance(100);
	}
	// 3000 ms of writes every 100 ms, never quiet for 300 ms: cut every 1000 ms.
	t.deepEqual(batches.map(batch => batch.closedAt), [1000, 2000, 3000].filter(at => at <= clock.now()));
	t.true(batches.every(batch => batch.closedAt - batch.firstChangeAt <= 1000));
});

test('changes after a batch closed go into the next batch, with a new id', t => {
	const {clock, batches, change} = setup();
	change('mod_a');
	clock.advance(300);
	change('mod_a');
	change('mod_b');
	clock.advance(300);
	t.deepEqual(batches.map(batch => batch.id), [1, 2]);
	t.deepEqual(modules(batches[1]), ['mod_a', 'mod_b']);
});

test('flush hands on the pending batch at once; close flushes and refuses more', t => {
	const {clock, batches, batcher, change} = setup();
	change('mod_a');
	t.is(batcher.pendingCount, 1);
	batcher.close();
	t.deepEqual(modules(batches[0]), ['mod_a']);
	t.is(clock.pendingTimers, 0);
	t.throws(() => change('mod_b'), {message: /closed.*mod_b/});
	batcher.close();
	t.is(batches.length, 1, 'close is idempotent');
});

test('batches are frozen values', t => {
	const {clock, batches, change} = setup();
	change('mod_a');
	clock.advance(300);
	t.true(Object.isFrozen(batches[0]));
	t.true(Object.isFrozen(batches[0]?.changes));
});

const invalidOptions = test.macro((t, options: {debounceMs: number; maxWaitMs: number}, message: RegExp) => {
	t.throws(() => new Batcher({...options, clock: new FakeClock(), onBatch() {}}), {instanceOf: TypeError, message});
});

test('rejects a negative debounce', invalidOptions, {debounceMs: -5, maxWaitMs: 10}, /`debounceMs`.*`-5` \(number\)/);
test('rejects a fractional maxWait', invalidOptions, {debounceMs: 5, maxWaitMs: 10.5}, /`maxWaitMs`/);
test('rejects maxWait below debounce', invalidOptions, {debounceMs: 500, maxWaitMs: 100}, /at least `debounceMs` \(500\)/);

test('a change handed back does not replace a newer pending change of its module', t => {
	const clock = new FakeClock();
	const batches: Batch[] = [];
	const batcher = new Batcher({debounceMs: 100, maxWaitMs: 1000, clock, onBatch: batch => batches.push(batch)});
	batcher.add({module: 'mod_a', path: '/ebin/mod_a.beam', at: 20});
	batcher.requeue({module: 'mod_a', path: '/ebin/mod_a.beam', at: 10});
	batcher.requeue({module: 'mod_b', path: '/ebin/mod_b.beam', at: 10});
	clock.advance(100);
	t.deepEqual(batches[0]?.changes.map(change => [change.module, change.at]), [['mod_a', 20], ['mod_b', 10]]);
});
