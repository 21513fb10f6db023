import test from 'ava';
import {SILENCE_LIMIT_TICKS, TICK_INTERVAL_MS, Ticker} from '../../../../daemon/lib/erlang-dist/ticker.ts';

test('the defaults follow net_ticktime 60 s: a tick every 15 s, silence after four', t => {
	t.is(TICK_INTERVAL_MS, 15_000);
	t.is(SILENCE_LIMIT_TICKS, 4);
});

test('ticks go out every interval while the node keeps talking', async t => {
	let ticks = 0;
	let silent = false;
	// A clock that never moves: the node always seems to have just spoken.
	const ticker = new Ticker({intervalMs: 5, now: () => 0, sendTick: () => ticks++, onSilent: () => (silent = true)});
	ticker.start();
	await new Promise<void>(resolve => {
		const check = setInterval(() => {
			if (ticks >= 5) {
				clearInterval(check);
				resolve();
			}
		}, 1);
	});
	ticker.stop();
	const stopped = ticks;
	await new Promise(resolve => setTimeout(resolve, 30));
	t.is(ticks, stopped, 'no tick after stop()');
	t.false(silent);
});

test('a node silent for four intervals is reported once, and ticking stops', async t => {
	let now = 0;
	let ticks = 0;
	const reports: number[] = [];
	const ticker = new Ticker({intervalMs: 5, now: () => now, sendTick: () => ticks++, onSilent: silentMs => reports.push(silentMs)});
	ticker.start();
	await new Promise<void>(resolve => {
		const advance = setInterval(() => {
			now += 5;
			if (reports.length > 0) {
				clearInterval(advance);
				resolve();
			}
		}, 5);
	});
	t.true((reports[0] ?? 0) >= 20);
	t.true(ticks < 5);
	const after = ticks;
	await new Promise(resolve => setTimeout(resolve, 30));
	t.is(ticks, after);
	t.is(reports.length, 1);
});
