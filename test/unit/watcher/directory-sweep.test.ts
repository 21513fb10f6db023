import {mkdir, mkdtemp, rename, rm, utimes, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import test from 'ava';
import type {ReloaderError} from '../../../daemon/errors.ts';
import {DEFAULT_SWEEP_MS, DirectorySweep, listBeamFingerprints, type BeamLister} from '../../../daemon/watcher/directory-sweep.ts';
import {FakeClock} from '../../support/fake-clock.ts';

/** A fake directory listing: path → fingerprint per directory, changed by the test; every call counted. */
function fakeDirectories() {
	const directories = new Map<string, Map<string, string>>();
	const calls: string[] = [];
	let failing: Error | undefined;
	let release: (() => void) | undefined;
	let held: Promise<void> | undefined;
	const list: BeamLister = async (directory, limit) => {
		calls.push(directory);
		if (held !== undefined) {
			await held;
		}
		if (failing !== undefined) {
			throw failing;
		}
		return new Map([...directories.get(directory) ?? []].slice(0, limit));
	};
	return {
		list,
		calls,
		set(path: string, fingerprint: string) {
			const directory = path.slice(0, path.lastIndexOf('/'));
			const entries = directories.get(directory) ?? new Map<string, string>();
			entries.set(path, fingerprint);
			directories.set(directory, entries);
		},
		remove(path: string) {
			directories.get(path.slice(0, path.lastIndexOf('/')))?.delete(path);
		},
		fail(error: Error | undefined) {
			failing = error;
		},
		/** Listings wait until released. */
		hold() {
			held = new Promise(resolve => {
				release = resolve;
			});
		},
		release() {
			held = undefined;
			release?.();
		},
	};
}

/** Lets the sweep's listing (a promise chain) run. */
async function settle(): Promise<void> {
	for (let i = 0; i < 5; i++) {
		await new Promise(resolve => setImmediate(resolve));
	}
}

function makeSweep(options: {directories?: string[]; intervalMs?: number; maxBeams?: number} = {}) {
	const clock = new FakeClock();
	const disk = fakeDirectories();
	const changed: string[] = [];
	const errors: ReloaderError[] = [];
	disk.set('/a/mod_a.beam', '1');
	disk.set('/b/mod_b.beam', '1');
	const sweep = new DirectorySweep({
		directories: options.directories ?? ['/a', '/b'],
		onChanged: path => changed.push(path),
		onError: error => errors.push(error),
		list: disk.list,
		clock,
		...(options.intervalMs === undefined ? {} : {intervalMs: options.intervalMs}),
		...(options.maxBeams === undefined ? {} : {maxBeams: options.maxBeams}),
	});
	/** Move the clock on by `ms`, letting each look that falls due finish. */
	const tick = async (ms: number) => {
		clock.advance(ms);
		await settle();
	};
	return {clock, disk, changed, errors, sweep, tick};
}

test('the first look is the baseline: the beams already there are not reported', async t => {
	const {sweep, changed, disk, tick} = makeSweep({intervalMs: 1000});
	await sweep.ready();
	await tick(1000);
	t.deepEqual(changed, []);
	t.deepEqual(disk.calls, ['/a', '/b', '/a', '/b']);
	await sweep.close();
});

test('a new, a changed and a re-added beam are reported at the next look, once each', async t => {
	const {sweep, changed, disk, tick} = makeSweep({intervalMs: 1000});
	await sweep.ready();
	disk.set('/a/mod_new.beam', '1');
	disk.set('/b/mod_b.beam', '2');
	disk.remove('/a/mod_a.beam');
	await tick(999);
	t.deepEqual(changed, [], 'nothing before the interval is over');
	await tick(1);
	t.deepEqual(changed.sort(), ['/a/mod_new.beam', '/b/mod_b.beam']);
	await tick(1000);
	t.is(changed.length, 2, 'what was reported is not reported again');
	disk.set('/a/mod_a.beam', '1');
	await tick(1000);
	t.deepEqual(changed.slice(2), ['/a/mod_a.beam'], 'a beam that went away and came back, even as it was, is new');
	await sweep.close();
});

test('the next look is timed from the end of the last: looks never overlap', async t => {
	const {sweep, disk, clock, tick} = makeSweep({directories: ['/a'], intervalMs: 1000});
	await sweep.ready();
	disk.hold();
	await tick(1000);
	t.is(disk.calls.length, 2);
	await tick(5000);
	t.is(disk.calls.length, 2, 'no second look while one is in progress');
	t.is(clock.pendingTimers, 0);
	disk.release();
	await settle();
	t.is(clock.pendingTimers, 1, 'the next look is set once the last is done');
	await tick(1000);
	t.is(disk.calls.length, 3);
	await sweep.close();
});

test('a directory that cannot be listed keeps its last look, is reported once per run of failures, and what changed meanwhile is reported after', async t => {
	const {sweep, disk, changed, errors, tick} = makeSweep({directories: ['/a'], intervalMs: 1000});
	await sweep.ready();
	disk.fail(Object.assign(new Error('EMFILE: too many open files'), {code: 'EMFILE'}));
	await tick(1000);
	await tick(1000);
	t.is(errors.length, 1);
	t.like(errors[0], {code: 'ERR_WATCH', retryable: true});
	t.regex(errors[0]?.message ?? '', /\/a.*EMFILE/);
	disk.fail(undefined);
	disk.set('/a/mod_a.beam', '2');
	await tick(1000);
	t.deepEqual(changed, ['/a/mod_a.beam'], 'compared with the look before the failures, not with none');
	disk.fail(new Error('EIO'));
	await tick(1000);
	t.is(errors.length, 2, 'a new run of failures is reported again');
	await sweep.close();
});

test('at most maxBeams are kept per directory, and a directory at the cap is reported once', async t => {
	const {sweep, disk, errors, tick} = makeSweep({directories: ['/a'], intervalMs: 1000, maxBeams: 3});
	for (let i = 0; i < 10; i++) {
		disk.set(`/a/mod_${i}.beam`, '1');
	}
	await sweep.ready();
	await tick(1000);
	t.is(errors.length, 1);
	t.regex(errors[0]?.message ?? '', /3 beams or more/);
	await sweep.close();
});

test('close() is idempotent, stops the timer, and a look in progress reports nothing', async t => {
	const {sweep, disk, clock, changed, tick} = makeSweep({directories: ['/a'], intervalMs: 1000});
	await sweep.ready();
	disk.hold();
	disk.set('/a/mod_a.beam', '2');
	await tick(1000);
	const closed = sweep.close();
	t.is(sweep.close(), closed);
	disk.release();
	await closed;
	t.deepEqual(changed, []);
	t.is(clock.pendingTimers, 0);
	await sweep.close();
});

test('the interval defaults to DEFAULT_SWEEP_MS', async t => {
	const {sweep, disk, tick} = makeSweep({directories: ['/a']});
	await sweep.ready();
	await tick(DEFAULT_SWEEP_MS - 1);
	t.is(disk.calls.length, 1);
	await tick(1);
	t.is(disk.calls.length, 2);
	await sweep.close();
});

test('a bad interval or cap is refused, every problem named with its value', t => {
	const error = t.throws(() => new DirectorySweep({directories: [], onChanged: () => undefined, intervalMs: 0, maxBeams: 1.5, list: async () => new Map()}));
	t.like(error, {code: 'ERR_CONFIG_INVALID'});
	t.regex(error?.message ?? '', /`intervalMs`.*`0` \(number\).*`maxBeams`.*`1\.5` \(number\)/);
});

test('the real lister: plainly named beams only, each fingerprint changing with a rewrite that keeps size and mtime (install -p), none for a missing directory', async t => {
	const dir = await mkdtemp(join(tmpdir(), 'reloader-sweep-'));
	t.teardown(async () => rm(dir, {recursive: true, force: true}));
	await writeFile(join(dir, 'mod_a.beam'), 'aaaa');
	await writeFile(join(dir, '.#mod_a.beam'), 'x');
	await writeFile(join(dir, 'mod_a.beam.tmp'), 'x');
	await writeFile(join(dir, 'notes.txt'), 'x');
	await mkdir(join(dir, 'dir.beam'));
	const first = await listBeamFingerprints(dir, 100);
	t.deepEqual([...first.keys()], [join(dir, 'mod_a.beam')]);
	// install -p: a new file renamed onto the name, with the old mtime and the same size.
	await writeFile(join(dir, 'mod_a.beam.new'), 'bbbb');
	await utimes(join(dir, 'mod_a.beam.new'), new Date(1_000_000), new Date(1_000_000));
	await utimes(join(dir, 'mod_a.beam'), new Date(1_000_000), new Date(1_000_000));
	const before = (await listBeamFingerprints(dir, 100)).get(join(dir, 'mod_a.beam'));
	await rename(join(dir, 'mod_a.beam.new'), join(dir, 'mod_a.beam'));
	const after = (await listBeamFingerprints(dir, 100)).get(join(dir, 'mod_a.beam'));
	t.not(after, before);
	t.is((await listBeamFingerprints(join(dir, 'gone'), 100)).size, 0);
});

test('the real lister keeps at most `limit` beams', async t => {
	const dir = await mkdtemp(join(tmpdir(), 'reloader-sweep-'));
	t.teardown(async () => rm(dir, {recursive: true, force: true}));
	await Promise.all(Array.from({length: 20}, async (_, i) => writeFile(join(dir, `mod_${i}.beam`), 'x')));
	t.is((await listBeamFingerprints(dir, 5)).size, 5);
});

test('a write the watcher reported is not reported again by the next look; a later one it did not report is', async t => {
	const {sweep, changed, disk, tick} = makeSweep({intervalMs: 1000});
	await sweep.ready();
	disk.set('/a/mod_a.beam', '2');
	disk.set('/a/mod_new.beam', '1');
	sweep.noteWritten('/a/mod_a.beam');
	sweep.noteWritten('/a/mod_new.beam');
	await settle();
	await tick(1000);
	t.deepEqual(changed, [], 'both were the watcher\'s');
	sweep.noteWritten('/a/mod_a.beam');
	await settle();
	disk.set('/a/mod_a.beam', '3');
	await tick(1000);
	t.deepEqual(changed, ['/a/mod_a.beam'], 'the write after the reported one was the watcher\'s to miss');
	await sweep.close();
});
