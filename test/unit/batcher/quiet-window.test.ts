import test from 'ava';
import {QuietWindow, type QuietWindowOptions} from '../../../daemon/batcher/quiet-window.ts';

const defaults: QuietWindowOptions = {debounceMs: 300, maxWaitMs: 3000};

function windowAfter(times: readonly number[], options: QuietWindowOptions = defaults): QuietWindow {
	const window = new QuietWindow(options);
	for (const time of times) {
		window.note(time);
	}
	return window;
}

/** Change times of a burst: `count` changes `everyMs` apart from `from`. */
function burst(from: number, count: number, everyMs: number): number[] {
	return Array.from({length: count}, (_, index) => from + (index * everyMs));
}

test('nothing open: no closing time, no first change', t => {
	const window = new QuietWindow(defaults);
	t.is(window.closesAt(), undefined);
	t.is(window.openedAt, undefined);
});

test('a single save closes after debounceMs, not a millisecond later', t => {
	const window = windowAfter([1000]);
	t.is(window.openedAt, 1000);
	t.is(window.closesAt(), 1300);
});

test('a burst tolerates a gap under load that a lone debounce would not', t => {
	// 150 beams 2 ms apart (300 ms of writing), then a 400 ms stall of a loaded host, then the rest.
	const times = [...burst(0, 150, 2), ...burst(698, 150, 2)];
	const window = new QuietWindow(defaults);
	for (const time of times.slice(0, 150)) {
		window.note(time);
	}
	const closesBeforeStall = window.closesAt() ?? 0;
	t.true(closesBeforeStall > 298 + 400, `the window waits past the stall (closes at ${closesBeforeStall})`);
	for (const time of times.slice(150)) {
		t.true(time < (window.closesAt() ?? 0), `the change at ${time} is still inside the window`);
		window.note(time);
	}
	t.is(window.openedAt, 0);
	t.true((window.closesAt() ?? 0) <= 3000);
});

test('a steady stream closes by maxWaitMs from its first change', t => {
	const window = new QuietWindow(defaults);
	for (const time of burst(500, 100, 100)) {
		window.note(time);
		t.true((window.closesAt() ?? Infinity) <= 3500);
	}
	t.is(window.closesAt(), 3500);
});

test('reset starts afresh: the next change is a lone save again', t => {
	const window = windowAfter(burst(0, 50, 20));
	t.true((window.closesAt() ?? 0) > 980 + 300);
	window.reset();
	t.is(window.closesAt(), undefined);
	t.is(window.openedAt, undefined);
	window.note(5000);
	t.is(window.openedAt, 5000);
	t.is(window.closesAt(), 5300);
});

test('a clock stepped back neither moves the window back nor makes a negative gap', t => {
	const window = windowAfter([1000, 900]);
	t.is(window.openedAt, 1000);
	t.is(window.closesAt(), 1300);
});

const closesAt = test.macro({
	exec(t, times: readonly number[], expected: number, options?: QuietWindowOptions) {
		t.is(windowAfter(times, options).closesAt(), expected);
	},
	title: (given = '', times: readonly number[], expected: number, options: QuietWindowOptions = defaults) => `${given}: ${times.length} change(s) close at ${expected} (debounce ${options.debounceMs}, maxWait ${options.maxWaitMs})`,
});

test('a lone change', closesAt, [0], 300);
test('an editor\'s save-all, two beams 4 ms apart', closesAt, [0, 4], 306);
test('three saves at one instant', closesAt, [100, 100, 100], 400);
test('a burst: half its span is added to the debounce', closesAt, burst(0, 101, 2), 200 + 300 + 100);
test('a burst that had a long gap waits three times that gap', closesAt, [0, 250, 260], 260 + 750);
test('the quiet a burst needs is capped at four debounce windows', closesAt, burst(0, 100, 20), 1980 + 1200, {debounceMs: 300, maxWaitMs: 10_000});
test('the cap from the first change wins over the quiet', closesAt, burst(0, 100, 25), 3000);
test('debounce 0: every change closes at once', closesAt, burst(0, 10, 5), 45, {debounceMs: 0, maxWaitMs: 100});
test('a burst under a custom debounce', closesAt, [0, 10, 20], 1000 + 20 + 10, {debounceMs: 1000, maxWaitMs: 5000});

const invalidOptions = test.macro({
	exec(t, options: QuietWindowOptions, message: RegExp) {
		t.throws(() => new QuietWindow(options), {instanceOf: TypeError, message});
	},
	title: given => `rejects ${given ?? ''}`,
});

test('a negative debounce', invalidOptions, {debounceMs: -5, maxWaitMs: 10}, /`debounceMs`.*`-5` \(number\)/);
test('a fractional maxWait', invalidOptions, {debounceMs: 5, maxWaitMs: 10.5}, /`maxWaitMs`.*`10\.5` \(number\)/);
test('a debounce that is no number', invalidOptions, {debounceMs: '300' as unknown as number, maxWaitMs: 3000}, /`debounceMs`.*`300` \(string\)/);
test('maxWait below debounce', invalidOptions, {debounceMs: 500, maxWaitMs: 100}, /`maxWaitMs` \(100\) to be at least `debounceMs` \(500\)/);

test('rejects a change time that is no finite number', t => {
	t.throws(() => new QuietWindow(defaults).note(Number.NaN), {instanceOf: TypeError, message: /`NaN` \(number\)/});
});

test('an install still bringing new modules runs past maxWaitMs; one file rewritten forever does not', t => {
	// `make install` on a loaded host: one beam every 15 ms for 4.5 s, each a module not written before.
	const install = new QuietWindow(defaults);
	for (const [index, time] of burst(0, 300, 15).entries()) {
		install.note(time, `mod_${index}`);
		t.true(time < (install.closesAt() ?? 0), `the beam at ${time} ms is still in the window`);
	}
	t.true((install.closesAt() ?? 0) > 4485, 'it closes after the last beam');

	const rewritten = new QuietWindow(defaults);
	for (const time of burst(0, 300, 15)) {
		rewritten.note(time, 'mod_same');
	}
	t.is(rewritten.closesAt(), 3000, 'the same module over and over closes at maxWaitMs');
});

test('an install that never stops bringing new modules closes at four maxWaitMs', t => {
	const window = new QuietWindow(defaults);
	for (const [index, time] of burst(0, 2000, 10).entries()) {
		window.note(time, `mod_${index}`);
	}
	t.is(window.closesAt(), 12_000);
});
