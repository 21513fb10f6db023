import test from 'ava';
import type {BeamInspection} from '../../../daemon/beam/beam-file.ts';
import {ReloaderError} from '../../../daemon/errors.ts';
import {BeamSettler, type BeamProblem, type SettledBeam} from '../../../daemon/watcher/beam-settler.ts';

const COMPLETE: BeamInspection = {state: 'complete', size: 100, mtimeMs: 1};

/** A settler over a fake file system and a clock that stands still: `files` maps a path to its fingerprint (absent once deleted). */
function makeSettler(files: Map<string, string | undefined>, inspection: BeamInspection = COMPLETE, incompleteTimeoutMs = 1000) {
	const settled: SettledBeam[] = [];
	const problems: BeamProblem[] = [];
	let pending = 0;
	const track = async <T>(work: () => T): Promise<T> => {
		pending++;
		// One turn of the event loop, as a real read would take.
		await new Promise(resolve => setImmediate(resolve));
		pending--;
		return work();
	};
	const settler = new BeamSettler({
		incompleteTimeoutMs,
		inspect: async path => track(() => (files.get(path) === undefined ? {state: 'missing'} : inspection)),
		fingerprint: async path => track(() => files.get(path)),
		onSettled: beam => settled.push(beam),
		onProblem: problem => problems.push(problem),
		now: () => 42,
	});
	/** Resolves once no read is in flight: the next one would have started in the same turn as the last one ended. */
	const idle = async () => {
		do {
			await new Promise(resolve => setImmediate(resolve));
		} while (pending > 0);
	};
	return {settler, settled, problems, idle};
}

test('a complete beam is handed on with its module and path', async t => {
	const {settler, settled, problems, idle} = makeSettler(new Map([['/ebin/mod_a.beam', 'v1']]));
	settler.check('/ebin/mod_a.beam');
	await idle();
	t.deepEqual(settled, [{module: 'mod_a', path: '/ebin/mod_a.beam', at: 42}]);
	t.deepEqual(problems, []);
	t.is(settler.unsettledCount, 0);
});

test('a second event for the same bytes and mtime (a chmod, a rescan) hands nothing on', async t => {
	const {settler, settled, idle} = makeSettler(new Map([['/ebin/mod_a.beam', 'v1']]));
	settler.check('/ebin/mod_a.beam');
	await idle();
	settler.check('/ebin/mod_a.beam');
	await idle();
	t.is(settled.length, 1);
});

test('a rewrite with a new fingerprint is handed on again, and so is a return to an earlier one', async t => {
	const files = new Map([['/ebin/mod_a.beam', 'v1']]);
	const {settler, settled, idle} = makeSettler(files);
	for (const version of ['v1', 'v2', 'v1']) {
		files.set('/ebin/mod_a.beam', version);
		settler.check('/ebin/mod_a.beam');
		await idle();
	}
	t.is(settled.length, 3);
});

test('events for different paths are judged apart', async t => {
	const {settler, settled, idle} = makeSettler(new Map([['/ebin/mod_a.beam', 'same'], ['/ebin/mod_b.beam', 'same']]));
	settler.check('/ebin/mod_a.beam');
	settler.check('/ebin/mod_b.beam');
	await idle();
	t.deepEqual(settled.map(beam => beam.module).sort(), ['mod_a', 'mod_b']);
});

test('checks while one is in flight settle once, with the latest state', async t => {
	const {settler, settled, idle} = makeSettler(new Map([['/ebin/mod_a.beam', 'v1']]));
	settler.check('/ebin/mod_a.beam');
	settler.check('/ebin/mod_a.beam');
	settler.check('/ebin/mod_a.beam');
	await idle();
	t.is(settled.length, 1);
});

test('a beam gone before its fingerprint is taken is reported as vanished, not settled', async t => {
	const files = new Map<string, string | undefined>([['/ebin/mod_a.beam', 'v1']]);
	const settled: SettledBeam[] = [];
	const problems: BeamProblem[] = [];
	const settler = new BeamSettler({
		incompleteTimeoutMs: 1000,
		inspect: async () => COMPLETE,
		fingerprint: async path => {
			files.delete(path);
			return files.get(path);
		},
		onSettled: beam => settled.push(beam),
		onProblem: problem => problems.push(problem),
	});
	settler.check('/ebin/mod_a.beam');
	await new Promise(resolve => setImmediate(resolve));
	t.deepEqual(settled, []);
	t.is(problems.length, 1);
	t.is(problems[0]?.error.code, 'ERR_BEAM_UNREADABLE');
	t.regex(problems[0]?.error.message ?? '', /vanished/);
});

test('a fingerprint that cannot be read is reported with its error', async t => {
	const problems: BeamProblem[] = [];
	const settler = new BeamSettler({
		incompleteTimeoutMs: 1000,
		inspect: async () => COMPLETE,
		fingerprint: async () => {
			throw new ReloaderError('ERR_BEAM_UNREADABLE', 'Cannot read beam file "/ebin/mod_a.beam" (EACCES)');
		},
		onSettled: () => t.fail('nothing may settle'),
		onProblem: problem => problems.push(problem),
	});
	settler.check('/ebin/mod_a.beam');
	await new Promise(resolve => setImmediate(resolve));
	t.deepEqual(problems.map(problem => [problem.module, problem.error.code]), [['mod_a', 'ERR_BEAM_UNREADABLE']]);
});

test('nothing is handed on after close', async t => {
	const {settler, settled, idle} = makeSettler(new Map([['/ebin/mod_a.beam', 'v1']]));
	settler.check('/ebin/mod_a.beam');
	settler.close();
	await idle();
	settler.check('/ebin/mod_a.beam');
	await idle();
	t.deepEqual(settled, []);
});

test('a beam given up on is reported once for the same bytes, and again once they change', async t => {
	const files = new Map([['/ebin/mod_a.beam', 'truncated-1']]);
	const {settler, settled, problems, idle} = makeSettler(files, {state: 'incomplete', expectedSize: 600, actualSize: 100, size: 100, mtimeMs: 1}, 0);
	for (const version of ['truncated-1', 'truncated-1', 'truncated-2']) {
		files.set('/ebin/mod_a.beam', version);
		settler.check('/ebin/mod_a.beam');
		await idle();
	}
	t.deepEqual(problems.map(problem => problem.error.code), ['ERR_BEAM_INCOMPLETE', 'ERR_BEAM_INCOMPLETE']);
	t.deepEqual(settled, []);
});

test('a beam that vanished is reported once, however often it is checked', async t => {
	const {settler, problems, idle} = makeSettler(new Map());
	settler.check('/ebin/mod_a.beam');
	await idle();
	settler.check('/ebin/mod_a.beam');
	await idle();
	t.deepEqual(problems.map(problem => problem.error.message), ['/ebin/mod_a.beam vanished before it could be read; skipped']);
});

test('recheck hands on the same bytes again (a batch found the beam half-written, so they never reached the node)', async t => {
	const {settler, settled, idle} = makeSettler(new Map([['/ebin/mod_a.beam', 'v1']]));
	settler.check('/ebin/mod_a.beam');
	await idle();
	settler.recheck('/ebin/mod_a.beam');
	await idle();
	settler.check('/ebin/mod_a.beam');
	await idle();
	t.is(settled.length, 2);
});
