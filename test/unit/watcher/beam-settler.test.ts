import test from 'ava';
import {beamReader} from '../../../daemon/beam/beam-snapshot.ts';
import type {FileReader} from '../../../daemon/beam/read-file-once.ts';
import {ReloaderError} from '../../../daemon/errors.ts';
import {BeamSettler, type BeamProblem, type SettledBeam} from '../../../daemon/watcher/beam-settler.ts';
import {FakeClock} from '../../support/fake-clock.ts';
import {syntheticBeam} from '../../support/synthetic-beam.ts';

const BEAM_A1 = syntheticBeam('mod_a', 1);
const BEAM_A2 = syntheticBeam('mod_a', 2);

/**
 * A settler over a fake disk (`files`: path → content and mtime, absent once
 * deleted) read through the real snapshot code; every open is counted.
 */
function makeSettler(files: Map<string, {bytes: Buffer; mtimeMs: number}>, incompleteTimeoutMs = 1000) {
	const settled: SettledBeam[] = [];
	const problems: BeamProblem[] = [];
	const opens: string[] = [];
	let pending = 0;
	const readFile: FileReader = async path => {
		opens.push(path);
		pending++;
		// One turn of the event loop, as a real read would take.
		await new Promise(resolve => setImmediate(resolve));
		pending--;
		return files.get(path);
	};
	const clock = new FakeClock();
	clock.advance(42);
	const settler = new BeamSettler({
		incompleteTimeoutMs,
		read: beamReader(readFile),
		clock,
		onSettled: beam => settled.push(beam),
		onProblem: problem => problems.push(problem),
	});
	/** Resolves once no read is in flight and no re-check is due within `ms`. */
	const idle = async (ms = 0) => {
		do {
			await new Promise(resolve => setImmediate(resolve));
			if (pending === 0 && clock.pendingTimers > 0 && ms > 0) {
				clock.advance(Math.min(ms, 10));
				ms -= 10;
			}
		} while (pending > 0 || (ms > 0 && clock.pendingTimers > 0));
	};
	return {settler, settled, problems, opens, idle, clock};
}

test('a complete beam is handed on once, with its module, path and the snapshot of its one read', async t => {
	const {settler, settled, problems, opens, idle} = makeSettler(new Map([['/ebin/mod_a.beam', {bytes: BEAM_A1, mtimeMs: 5}]]));
	settler.check('/ebin/mod_a.beam');
	await idle();
	t.is(settled.length, 1);
	t.like(settled[0], {module: 'mod_a', path: '/ebin/mod_a.beam', at: 42, snapshot: {path: '/ebin/mod_a.beam', module: 'mod_a', size: BEAM_A1.length, mtimeMs: 5}});
	t.true(Object.isFrozen(settled[0]?.snapshot));
	t.deepEqual(problems, []);
	t.is(settler.unsettledCount, 0);
	t.deepEqual(opens, ['/ebin/mod_a.beam'], 'one open for one settled beam');
});

test('the settler opens each settled beam once', async t => {
	const files = new Map(Array.from({length: 20}, (_, index) => [`/ebin/mod_${index}.beam`, {bytes: syntheticBeam(`mod_${index}`, index), mtimeMs: index}]));
	const {settler, settled, opens, idle} = makeSettler(files);
	for (const path of files.keys()) {
		settler.check(path);
	}
	await idle();
	t.is(settled.length, 20);
	t.deepEqual([...opens].sort(), [...files.keys()].sort());
});

test('a second event for the same bytes and mtime (a chmod, a rescan) hands nothing on', async t => {
	const {settler, settled, idle} = makeSettler(new Map([['/ebin/mod_a.beam', {bytes: BEAM_A1, mtimeMs: 1}]]));
	settler.check('/ebin/mod_a.beam');
	await idle();
	settler.check('/ebin/mod_a.beam');
	await idle();
	t.is(settled.length, 1);
});

test('a rewrite with a new fingerprint is handed on again, and so is a return to an earlier one', async t => {
	const files = new Map([['/ebin/mod_a.beam', {bytes: BEAM_A1, mtimeMs: 1}]]);
	const {settler, settled, idle} = makeSettler(files);
	for (const bytes of [BEAM_A1, BEAM_A2, BEAM_A1]) {
		files.set('/ebin/mod_a.beam', {bytes, mtimeMs: 1});
		settler.check('/ebin/mod_a.beam');
		await idle();
	}
	t.is(settled.length, 3);
	t.not(settled[0]?.snapshot?.codeMd5, settled[1]?.snapshot?.codeMd5);
	t.is(settled[0]?.snapshot?.codeMd5, settled[2]?.snapshot?.codeMd5);
});

test('events for different paths are judged apart', async t => {
	const {settler, settled, idle} = makeSettler(new Map([['/ebin/mod_a.beam', {bytes: BEAM_A1, mtimeMs: 1}], ['/ebin/mod_b.beam', {bytes: syntheticBeam('mod_b', 1), mtimeMs: 1}]]));
	settler.check('/ebin/mod_a.beam');
	settler.check('/ebin/mod_b.beam');
	await idle();
	t.deepEqual(settled.map(beam => beam.module).sort(), ['mod_a', 'mod_b']);
});

test('checks while one is in flight settle once, with the latest state', async t => {
	const {settler, settled, idle} = makeSettler(new Map([['/ebin/mod_a.beam', {bytes: BEAM_A1, mtimeMs: 1}]]));
	settler.check('/ebin/mod_a.beam');
	settler.check('/ebin/mod_a.beam');
	settler.check('/ebin/mod_a.beam');
	await idle();
	t.is(settled.length, 1);
});

test('a half-written beam is read again until complete, and handed on with the complete snapshot', async t => {
	const files = new Map([['/ebin/mod_a.beam', {bytes: BEAM_A2.subarray(0, 30), mtimeMs: 1}]]);
	const {settler, settled, problems, clock, idle} = makeSettler(files);
	settler.check('/ebin/mod_a.beam');
	await idle();
	t.is(settled.length, 0);
	t.is(clock.pendingTimers, 1);
	files.set('/ebin/mod_a.beam', {bytes: BEAM_A2, mtimeMs: 2});
	await idle(100);
	t.is(settled.length, 1);
	t.is(settled[0]?.snapshot?.size, BEAM_A2.length);
	t.deepEqual(problems, []);
});

test('a beam gone when it is read, and still gone at the deadline, is reported as vanished, not settled', async t => {
	const {settler, settled, problems, opens, idle} = makeSettler(new Map(), 1000);
	settler.check('/ebin/mod_a.beam');
	await idle();
	t.deepEqual(problems, [], 'not yet: it may be being replaced');
	t.deepEqual(settler.unsettled(), [{path: '/ebin/mod_a.beam', since: 42}]);
	await idle(2000);
	t.deepEqual(settled, []);
	t.deepEqual(problems.map(problem => [problem.module, problem.error.code, problem.error.message]), [['mod_a', 'ERR_BEAM_UNREADABLE', '/ebin/mod_a.beam vanished before it could be read (still missing after 1000 ms); skipped']]);
	t.is(settler.unsettledCount, 0);
	// Read again with the short backoff of a half-written beam: a handful of reads, not one per tick.
	t.true(opens.length > 2 && opens.length < 10, `${opens.length} reads`);
});

test('a beam missing for a moment (install unlinks, then writes) is read again and handed on, never reported', async t => {
	const files = new Map<string, {bytes: Buffer; mtimeMs: number}>();
	const {settler, settled, problems, clock, idle} = makeSettler(files, 1000);
	settler.check('/ebin/mod_a.beam');
	await idle();
	t.is(clock.pendingTimers, 1, 'a re-read is due');
	// The rewrite lands, and its own event has not come yet.
	files.set('/ebin/mod_a.beam', {bytes: BEAM_A2.subarray(0, 40), mtimeMs: 2});
	await idle(30);
	files.set('/ebin/mod_a.beam', {bytes: BEAM_A2, mtimeMs: 3});
	await idle(2000);
	t.deepEqual(settled.map(beam => beam.snapshot?.size), [BEAM_A2.length]);
	t.deepEqual(problems, []);
	t.is(settler.unsettledCount, 0);
});

test('a later event for a path that was missing supersedes the wait: dropped silently, the new write settled once', async t => {
	const files = new Map<string, {bytes: Buffer; mtimeMs: number}>();
	const {settler, settled, problems, clock, idle} = makeSettler(files, 1000);
	settler.check('/ebin/mod_a.beam');
	await idle();
	clock.advance(900);
	await idle();
	files.set('/ebin/mod_a.beam', {bytes: BEAM_A1, mtimeMs: 1});
	settler.check('/ebin/mod_a.beam');
	await idle(5000);
	t.is(settled.length, 1);
	t.deepEqual(problems, []);
	t.is(clock.pendingTimers, 0, 'nothing left of the first wait');
});

test('a new event for a path still missing restarts its deadline: given up 1000 ms after the last event, not the first', async t => {
	const {settler, problems, clock, idle} = makeSettler(new Map(), 1000);
	settler.check('/ebin/mod_a.beam');
	await idle();
	clock.advance(900);
	await idle();
	settler.check('/ebin/mod_a.beam');
	await idle();
	clock.advance(500);
	await idle();
	t.deepEqual(problems, []);
	await idle(1000);
	t.deepEqual(problems.map(problem => problem.error.code), ['ERR_BEAM_UNREADABLE']);
});

test('missing, then half-written without a new event: the deadline counts from when it was first missing, and reports what the last read found', async t => {
	const files = new Map<string, {bytes: Buffer; mtimeMs: number}>();
	const {settler, problems, clock, idle} = makeSettler(files, 1000);
	settler.check('/ebin/mod_a.beam');
	await idle();
	clock.advance(600);
	await idle();
	files.set('/ebin/mod_a.beam', {bytes: BEAM_A2.subarray(0, 40), mtimeMs: 2});
	clock.advance(300);
	await idle();
	t.deepEqual(problems, []);
	await idle(200);
	t.deepEqual(problems.map(problem => problem.error.code), ['ERR_BEAM_INCOMPLETE']);
	t.is(settler.unsettledCount, 0);
});

test('a beam that cannot be read is reported with its error', async t => {
	const problems: BeamProblem[] = [];
	const settler = new BeamSettler({
		incompleteTimeoutMs: 1000,
		read: beamReader(async () => {
			throw new ReloaderError('ERR_BEAM_UNREADABLE', 'Cannot read beam file "/ebin/mod_a.beam" (EACCES)');
		}),
		clock: new FakeClock(),
		onSettled: () => t.fail('nothing may settle'),
		onProblem: problem => problems.push(problem),
	});
	settler.check('/ebin/mod_a.beam');
	await new Promise(resolve => setImmediate(resolve));
	t.deepEqual(problems.map(problem => [problem.module, problem.error.code]), [['mod_a', 'ERR_BEAM_UNREADABLE']]);
});

test('nothing is handed on after close', async t => {
	const {settler, settled, idle} = makeSettler(new Map([['/ebin/mod_a.beam', {bytes: BEAM_A1, mtimeMs: 1}]]));
	settler.check('/ebin/mod_a.beam');
	settler.close();
	await idle();
	settler.check('/ebin/mod_a.beam');
	await idle();
	t.deepEqual(settled, []);
});

test('a beam given up on is reported once for the same bytes, and again once they change', async t => {
	const files = new Map([['/ebin/mod_a.beam', {bytes: BEAM_A1.subarray(0, 100), mtimeMs: 1}]]);
	const {settler, settled, problems, idle} = makeSettler(files, 0);
	for (const bytes of [BEAM_A1.subarray(0, 100), BEAM_A1.subarray(0, 100), BEAM_A1.subarray(0, 90)]) {
		files.set('/ebin/mod_a.beam', {bytes, mtimeMs: 1});
		settler.check('/ebin/mod_a.beam');
		await idle();
	}
	t.deepEqual(problems.map(problem => problem.error.code), ['ERR_BEAM_INCOMPLETE', 'ERR_BEAM_INCOMPLETE']);
	t.deepEqual(settled, []);
});

test('garbage of the right length is given up on as invalid, never handed on', async t => {
	const garbage = Buffer.from(BEAM_A1);
	garbage.writeUInt32BE(0xFF_FF, 16);
	const {settler, settled, problems, idle} = makeSettler(new Map([['/ebin/mod_a.beam', {bytes: garbage, mtimeMs: 1}]]), 50);
	settler.check('/ebin/mod_a.beam');
	await idle(200);
	t.deepEqual(settled, []);
	t.deepEqual(problems.map(problem => problem.error.code), ['ERR_BEAM_INVALID']);
});

test('a beam that vanished is reported once, however often it is checked', async t => {
	const {settler, problems, idle} = makeSettler(new Map(), 1000);
	settler.check('/ebin/mod_a.beam');
	await idle(2000);
	settler.check('/ebin/mod_a.beam');
	await idle(2000);
	t.deepEqual(problems.map(problem => problem.error.message), ['/ebin/mod_a.beam vanished before it could be read (still missing after 1000 ms); skipped']);
});

test('recheck hands on the same bytes again (a batch found the beam half-written, so they never reached the node)', async t => {
	const {settler, settled, idle} = makeSettler(new Map([['/ebin/mod_a.beam', {bytes: BEAM_A1, mtimeMs: 1}]]));
	settler.check('/ebin/mod_a.beam');
	await idle();
	settler.recheck('/ebin/mod_a.beam');
	await idle();
	settler.check('/ebin/mod_a.beam');
	await idle();
	t.is(settled.length, 2);
});

test('forget makes the next event hand on the same bytes again, without reading at once', async t => {
	const {settler, settled, opens, idle} = makeSettler(new Map([['/ebin/mod_a.beam', {bytes: BEAM_A1, mtimeMs: 1}]]));
	settler.check('/ebin/mod_a.beam');
	await idle();
	settler.forget('/ebin/mod_a.beam');
	await idle();
	t.is(opens.length, 1);
	settler.check('/ebin/mod_a.beam');
	await idle();
	t.is(settled.length, 2);
});

test('a read refused for want of descriptors (EMFILE) is retried with a backoff until it succeeds: reported once, never given up', async t => {
	const files = new Map([['/ebin/mod_a.beam', {bytes: BEAM_A2, mtimeMs: 1}]]);
	const clock = new FakeClock();
	let failuresLeft = 25;
	const settled: SettledBeam[] = [];
	const problems: BeamProblem[] = [];
	const settler = new BeamSettler({
		incompleteTimeoutMs: 100,
		read: beamReader(async path => {
			if (failuresLeft > 0) {
				failuresLeft--;
				throw Object.assign(new Error(`EMFILE: too many open files, open '${path}'`), {code: 'EMFILE'});
			}
			return files.get(path);
		}),
		clock,
		onSettled: beam => settled.push(beam),
		onProblem: problem => problems.push(problem),
	});
	settler.check('/ebin/mod_a.beam');
	// Far past the deadline: a transient failure has no verdict on the file, so no deadline.
	for (let step = 0; step < 2000 && settled.length === 0; step++) {
		await new Promise(resolve => setImmediate(resolve));
		clock.advance(100);
	}
	t.is(failuresLeft, 0);
	t.is(settled.length, 1);
	t.is(settled[0]?.snapshot?.size, BEAM_A2.length);
	t.deepEqual(problems.map(problem => [problem.error.code, problem.error.retryable]), [['ERR_BEAM_UNREADABLE', true]]);
	t.regex(problems[0]?.error.message ?? '', /\(EMFILE\).*read again until it can be read/);
	t.is(settler.unsettledCount, 0);
});

test('a new write restarts the deadline: a rewrite first seen half-written is not given up at once for an earlier partial write', async t => {
	const files = new Map([['/ebin/mod_a.beam', {bytes: BEAM_A1.subarray(0, 100), mtimeMs: 1}]]);
	const {settler, settled, problems, clock, idle} = makeSettler(files, 1000);
	settler.check('/ebin/mod_a.beam');
	await idle();
	clock.advance(900);
	await idle();
	// A new write, half-written when its event is seen, 900 ms into the first one's deadline.
	files.set('/ebin/mod_a.beam', {bytes: BEAM_A2.subarray(0, 50), mtimeMs: 2});
	settler.check('/ebin/mod_a.beam');
	await idle();
	clock.advance(500);
	await idle();
	t.deepEqual(problems, [], 'not given up 1400 ms after the first write: its own deadline is 1000 ms from its event');
	t.deepEqual(settler.unsettled().map(beam => beam.path), ['/ebin/mod_a.beam']);
	t.is(settler.unsettled()[0]?.since, 42, 'unsettled since the first event of the run');
	files.set('/ebin/mod_a.beam', {bytes: BEAM_A2, mtimeMs: 3});
	await idle(1000);
	t.is(settled.length, 1);
	t.deepEqual(problems, []);
});

test('whenSettled resolves once no path in the directory is waited on', async t => {
	const files = new Map([['/ebin/mod_a.beam', {bytes: BEAM_A1.subarray(0, 100), mtimeMs: 1}], ['/other/mod_b.beam', {bytes: BEAM_A1.subarray(0, 10), mtimeMs: 1}]]);
	const {settler, idle} = makeSettler(files, 100_000);
	settler.check('/ebin/mod_a.beam');
	settler.check('/other/mod_b.beam');
	await idle();
	t.deepEqual(settler.unsettledIn('/ebin'), ['/ebin/mod_a.beam']);
	let resolved = false;
	const waiting = settler.whenSettled('/ebin').then(() => {
		resolved = true;
	});
	await idle(50);
	t.false(resolved);
	files.set('/ebin/mod_a.beam', {bytes: BEAM_A1, mtimeMs: 2});
	await idle(1000);
	await waiting;
	t.true(resolved);
	t.deepEqual(settler.unsettledIn('/other'), ['/other/mod_b.beam']);
});
