import {writeFileSync, unlinkSync} from 'node:fs';
import {chmod, copyFile, mkdir, mkdtemp, readFile, rename, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import * as path from 'node:path';
import anyTest from 'ava';
import type {ExecutionContext, TestFn} from 'ava';
import type {ReloaderError} from '../../daemon/errors.ts';
import {BeamSettler, type BeamProblem, type SettledBeam} from '../../daemon/watcher/beam-settler.ts';
import {BeamWatcher, type DirectoryEvent, type SiblingVersionEvent} from '../../daemon/watcher/beam-watcher.ts';
import {compileGenerated, installBeam, installBeamTruncated} from '../support/fixtures.ts';
import {waitUntil} from '../support/wait.ts';

/**
 * The file side of "lose no change": a real BeamWatcher and BeamSettler on real
 * directories with real beams, no node. Each test waits for the events it
 * expects (generous limits), then for a barrier past which a duplicate would
 * have shown up (Pipeline.barrier); nothing here waits a fixed time or
 * measures how long anything took.
 */

const MODULES = ['file_a', 'file_b', 'file_c'] as const;
type Module = typeof MODULES[number];

/** The barrier's beam: written after what a test did, and left out of what the test looks at. */
const MARKER = 'file_mark';

interface Context {
	/** `beams[version][module]`: a compiled beam outside any watched directory. */
	beams: Record<1 | 2, Record<Module, string>>;
	marker: string;
	/** Where the marker is staged before it is renamed in (the same file system). */
	staging: string;
}

const test = anyTest as TestFn<Context>;

const WAIT_LIMIT_MS = 30_000;
const INCOMPLETE_TIMEOUT_MS = 300;

let compiledIn: string | undefined;

test.before(async t => {
	const directory = await mkdtemp(path.join(tmpdir(), 'reloader-files-beams-'));
	compiledIn = directory;
	const compile = async (version: 1 | 2) => {
		const out = path.join(directory, `v${version}`);
		await mkdir(out);
		const entries = await Promise.all(MODULES.map(async module => [module, await compileGenerated(module, version, out)] as const));
		return Object.fromEntries(entries) as Record<Module, string>;
	};
	t.context.beams = {1: await compile(1), 2: await compile(2)};
	t.context.marker = await compileGenerated(MARKER, 1, path.join(directory, 'v1'));
	t.context.staging = directory;
});

test.after.always(async () => {
	if (compiledIn !== undefined) {
		await rm(compiledIn, {recursive: true, force: true});
	}
});

interface Pipeline {
	readonly settled: SettledBeam[];
	readonly problems: BeamProblem[];
	readonly directoryEvents: DirectoryEvent[];
	readonly siblings: SiblingVersionEvent[];
	readonly errors: ReloaderError[];
	settledFor(module: string): number;
	problemsFor(module: string): BeamProblem[];
	/** Resolves as soon as `condition` holds after some event; fails after a generous limit. */
	until(what: string, condition: () => boolean): Promise<void>;
	/**
	 * Instead of a quiet period: resolves once the pipeline has moved past
	 * everything written so far. A marker beam is renamed into `ebin` (one
	 * event); the watcher reports it, then re-checks it TRAILING_RECHECK_MS
	 * after its last event, as it re-checks every path it reported, all after
	 * the same delay, in order. Once the marker's re-check came and nothing is
	 * left unsettled, every earlier path's re-check and whatever chokidar sent
	 * for it (throttled, or held by `atomic`, for less than that delay) has
	 * reached the settler and been settled or reported.
	 */
	barrier(ebin: string): Promise<void>;
}

/** A watcher and a settler on `directories`, wired as the daemon wires them; closed when the test ends. */
async function startPipeline(t: ExecutionContext<Context>, directories: string[], removeAfter: string): Promise<Pipeline> {
	const waiters = new Set<() => void>();
	const notify = () => {
		for (const waiter of waiters) {
			waiter();
		}
	};
	const pipeline = {
		settled: [] as SettledBeam[],
		problems: [] as BeamProblem[],
		directoryEvents: [] as DirectoryEvent[],
		siblings: [] as SiblingVersionEvent[],
		errors: [] as ReloaderError[],
		settledFor: (module: string) => pipeline.settled.filter(beam => beam.module === module).length,
		problemsFor: (module: string) => pipeline.problems.filter(problem => problem.module === module),
		barrier: async (ebin: string): Promise<void> => Promise.reject(new Error(`no barrier in ${ebin} before the settler exists`)),
		until: async (what: string, condition: () => boolean) => new Promise<void>((resolve, reject) => {
			const check = () => {
				if (condition()) {
					cleanUp();
					resolve();
				}
			};
			const timer = setTimeout(() => {
				cleanUp();
				reject(new Error(`Timed out after ${WAIT_LIMIT_MS} ms waiting until ${what}; saw ${JSON.stringify({
					settled: pipeline.settled.map(beam => beam.module),
					problems: pipeline.problems.map(problem => [problem.module, problem.error.code]),
					directories: pipeline.directoryEvents,
					siblings: pipeline.siblings,
					errors: pipeline.errors.map(error => error.message),
				})}`));
			}, WAIT_LIMIT_MS);
			const cleanUp = () => {
				clearTimeout(timer);
				waiters.delete(check);
			};
			waiters.add(check);
			check();
		}),
	};
	const record = <T>(list: T[]) => (item: T) => {
		list.push(item);
		notify();
	};
	// The marker is the barrier's: what it comes to is not the test's.
	const unlessMarker = <T extends {readonly module?: string | undefined}>(add: (item: T) => void) => (item: T) => {
		if (item.module !== MARKER) {
			add(item);
		}
	};
	const settler = new BeamSettler({
		incompleteTimeoutMs: INCOMPLETE_TIMEOUT_MS,
		onSettled: unlessMarker(record(pipeline.settled)),
		onProblem: unlessMarker(record(pipeline.problems)),
	});
	let markerSeen = 0;
	pipeline.barrier = async (ebin: string) => {
		const seen = markerSeen;
		const staged = path.join(t.context.staging, `${MARKER}-${process.pid}-${Math.random().toString(36).slice(2)}.beam`);
		await copyFile(t.context.marker, staged);
		await rename(staged, path.join(ebin, `${MARKER}.beam`));
		await waitUntil(() => markerSeen >= seen + 2 && settler.unsettledCount === 0, 'the marker\'s write and its trailing re-check reached the settler, and nothing is unsettled', WAIT_LIMIT_MS);
	};
	const watcher = new BeamWatcher({
		directories,
		onBeamWritten: beam => {
			if (path.basename(beam) === `${MARKER}.beam`) {
				markerSeen++;
			}
			settler.check(beam);
		},
		onError: record(pipeline.errors),
		onDirectory: record(pipeline.directoryEvents),
		onSiblingVersion: record(pipeline.siblings),
	});
	t.teardown(async () => {
		await watcher.close();
		settler.close();
		await rm(removeAfter, {recursive: true, force: true});
	});
	await watcher.ready();
	return pipeline;
}

async function makeBase(): Promise<string> {
	return mkdtemp(path.join(tmpdir(), 'reloader-files-'));
}

async function makeEbin(base: string, name = 'ebin'): Promise<string> {
	const ebin = path.join(base, name);
	await mkdir(ebin, {recursive: true});
	return ebin;
}

function beamIn(ebin: string, module: Module): string {
	return path.join(ebin, `${module}.beam`);
}

// 1. Every way a beam gets written is one settled change, never two, and temp names are none.

type Write = (source: string, ebin: string, module: Module) => Promise<void>;

const WRITES: ReadonlyArray<readonly [string, Write]> = [
	['write x.beam.tmp, then rename it onto x.beam', async (source, ebin, module) => {
		const temporary = path.join(ebin, `${module}.beam.tmp`);
		await writeFile(temporary, await readFile(source));
		await rename(temporary, beamIn(ebin, module));
	}],
	['write .x.beam.XXXX, then rename it onto x.beam', async (source, ebin, module) => {
		const temporary = path.join(ebin, `.${module}.beam.Xq3f9a`);
		await writeFile(temporary, await readFile(source));
		await rename(temporary, beamIn(ebin, module));
	}],
	['unlink, then write in place in three writes and chmod (install -m 644)', async (source, ebin) => {
		await installBeam(source, ebin);
	}],
	['cp over it (truncate, then write)', async (source, ebin, module) => {
		await copyFile(source, beamIn(ebin, module));
	}],
];

const oneChange = test.macro({
	async exec(t, write: Write, existing: boolean) {
		const base = await makeBase();
		const ebin = await makeEbin(base);
		if (existing) {
			await copyFile(t.context.beams[1].file_a, beamIn(ebin, 'file_a'));
		}
		const pipeline = await startPipeline(t, [ebin], base);
		await write(t.context.beams[2].file_a, ebin, 'file_a');
		await pipeline.until('file_a settled', () => pipeline.settledFor('file_a') > 0);
		await pipeline.barrier(ebin);
		t.deepEqual(pipeline.settled.map(beam => beam.path), [beamIn(ebin, 'file_a')]);
		t.deepEqual(pipeline.problems, []);
		t.deepEqual(pipeline.errors, []);
	},
	title: (name = '', _, existing) => `${name}: one settled change, ${existing ? 'over an existing beam' : 'as a new beam'}`,
});

for (const [name, write] of WRITES) {
	for (const existing of [false, true]) {
		test(name, oneChange, write, existing);
	}
}

test('temp names left lying about are no change; directories named like beams are no change either, each reported once as a directory', async t => {
	const base = await makeBase();
	const ebin = await makeEbin(base);
	await mkdir(path.join(ebin, 'sub'));
	const pipeline = await startPipeline(t, [ebin], base);
	const content = await readFile(t.context.beams[2].file_a);
	for (const name of ['.#file_a.beam', 'file_a.beam~', 'file_a.beam.tmp', '.file_a.beam.Xq3f9a', 'file_a.beam.swp']) {
		await writeFile(path.join(ebin, name), content);
	}
	await mkdir(path.join(base, 'file_b.beam'));
	await rename(path.join(base, 'file_b.beam'), path.join(ebin, 'file_b.beam'));
	await rename(path.join(ebin, 'sub'), path.join(ebin, 'file_c.beam'));
	// Something to wait for that comes after all of the above.
	await installBeam(t.context.beams[2].file_a, ebin);
	await pipeline.until('file_a settled', () => pipeline.settledFor('file_a') > 0);
	await pipeline.until('both directories reported', () => pipeline.problems.length >= 2);
	await pipeline.barrier(ebin);
	t.deepEqual(pipeline.settled.map(beam => beam.module), ['file_a']);
	// ejabberd_update's scan makes an atom of every *.beam name, a directory's too: worth a word, once.
	t.deepEqual(pipeline.problems.map(problem => [problem.module, problem.error.code]).sort(), [['file_b', 'ERR_BEAM_UNREADABLE'], ['file_c', 'ERR_BEAM_UNREADABLE']]);
	t.true(pipeline.problems.every(problem => problem.error.message.includes('is a directory, not a regular file')));
});

test('a chmod well after the beam settled (install does one last) is no second change', async t => {
	const base = await makeBase();
	const ebin = await makeEbin(base);
	await copyFile(t.context.beams[1].file_a, beamIn(ebin, 'file_a'));
	const pipeline = await startPipeline(t, [ebin], base);
	await writeFile(beamIn(ebin, 'file_a'), await readFile(t.context.beams[2].file_a));
	await pipeline.until('file_a settled', () => pipeline.settledFor('file_a') > 0);
	// Past chokidar's 50 ms throttle of `change` (the barrier's re-check comes later still): it reports
	// the attribute change as one, with the same size and mtime.
	await pipeline.barrier(ebin);
	await chmod(beamIn(ebin, 'file_a'), 0o600);
	await pipeline.barrier(ebin);
	t.is(pipeline.settledFor('file_a'), 1);
});

test('a beam rewritten right after its last write settled is a change each time (chokidar may send no event for it)', async t => {
	const base = await makeBase();
	const ebin = await makeEbin(base);
	const pipeline = await startPipeline(t, [ebin], base);
	const rounds = 6;
	for (let round = 1; round <= rounds; round++) {
		await installBeam(t.context.beams[round % 2 === 1 ? 1 : 2].file_a, ebin);
		await pipeline.until(`write ${round} settled`, () => pipeline.settledFor('file_a') === round);
	}
	await pipeline.barrier(ebin);
	t.is(pipeline.settledFor('file_a'), rounds);
	t.deepEqual(pipeline.problems, []);
});

// 2. A watched directory that goes away and comes back is watched again.

async function installAll(beams: Record<Module, string>, ebin: string, modules: readonly Module[] = MODULES): Promise<void> {
	for (const module of modules) {
		await copyFile(beams[module], beamIn(ebin, module));
	}
}

test('a reinstall (rm -rf ebin; mkdir ebin; cp *.beam ebin/) reports every beam once and watches the new ebin', async t => {
	const base = await makeBase();
	const ebin = await makeEbin(base);
	await installAll(t.context.beams[1], ebin, ['file_a', 'file_b']);
	const pipeline = await startPipeline(t, [ebin], base);
	await rm(ebin, {recursive: true});
	await mkdir(ebin);
	await installAll(t.context.beams[2], ebin, ['file_a', 'file_b']);
	await pipeline.until('the ebin is back and both beams settled', () =>
		pipeline.directoryEvents.some(event => event.state === 'back') && pipeline.settledFor('file_a') > 0 && pipeline.settledFor('file_b') > 0);
	await installBeam(t.context.beams[2].file_c, ebin);
	await pipeline.until('a beam written into the new ebin settled', () => pipeline.settledFor('file_c') > 0);
	await pipeline.barrier(ebin);
	t.deepEqual(pipeline.directoryEvents, [{directory: ebin, state: 'gone'}, {directory: ebin, state: 'back'}]);
	t.deepEqual(MODULES.map(module => pipeline.settledFor(module)), [1, 1, 1]);
	t.deepEqual(pipeline.problems, []);
});

test('an ebin removed, then recreated later, is reported gone, then back with what was written meanwhile', async t => {
	const base = await makeBase();
	const ebin = await makeEbin(base);
	await installAll(t.context.beams[1], ebin, ['file_a']);
	const pipeline = await startPipeline(t, [ebin], base);
	await rm(ebin, {recursive: true});
	await pipeline.until('the ebin is gone', () => pipeline.directoryEvents.length > 0);
	t.deepEqual(pipeline.directoryEvents, [{directory: ebin, state: 'gone'}]);
	await mkdir(ebin);
	await installAll(t.context.beams[2], ebin, ['file_a', 'file_b']);
	await pipeline.until('the ebin is back and its beams settled', () =>
		pipeline.directoryEvents.length === 2 && pipeline.settledFor('file_a') > 0 && pipeline.settledFor('file_b') > 0);
	t.deepEqual(pipeline.directoryEvents[1], {directory: ebin, state: 'back'});
	await installBeam(t.context.beams[2].file_c, ebin);
	await pipeline.until('a later write settled', () => pipeline.settledFor('file_c') > 0);
	t.deepEqual(pipeline.errors, []);
});

test('an empty ebin removed and recreated is noticed too (chokidar reports nothing for it)', async t => {
	const base = await makeBase();
	const ebin = await makeEbin(base);
	const pipeline = await startPipeline(t, [ebin], base);
	await rm(ebin, {recursive: true});
	await pipeline.until('the ebin is gone', () => pipeline.directoryEvents.length > 0);
	await mkdir(ebin);
	await pipeline.until('the ebin is back', () => pipeline.directoryEvents.length > 1);
	await installBeam(t.context.beams[1].file_a, ebin);
	await pipeline.until('a write into it settled', () => pipeline.settledFor('file_a') > 0);
	t.deepEqual(pipeline.directoryEvents.map(event => event.state), ['gone', 'back']);
});

test('an ebin moved away and straight back is still watched', async t => {
	const base = await makeBase();
	const ebin = await makeEbin(base);
	await installAll(t.context.beams[1], ebin, ['file_a']);
	const pipeline = await startPipeline(t, [ebin], base);
	await rename(ebin, `${ebin}.moved`);
	await rename(`${ebin}.moved`, ebin);
	// Let chokidar and the identity check have their say before writing.
	await pipeline.barrier(ebin);
	await installBeam(t.context.beams[2].file_b, ebin);
	await pipeline.until('a write after the move settled', () => pipeline.settledFor('file_b') > 0);
	t.is(pipeline.settledFor('file_b'), 1);
	// If the move was seen, the rescan hands on the beam that was there; its batch finds it unchanged.
	t.true(pipeline.settledFor('file_a') <= 1);
});

test('an ebin missing at start is reported gone, and watched once it appears', async t => {
	const base = await makeBase();
	const ebin = path.join(base, 'ebin');
	const pipeline = await startPipeline(t, [ebin], base);
	t.deepEqual(pipeline.directoryEvents, [{directory: ebin, state: 'gone'}]);
	await mkdir(ebin);
	await installAll(t.context.beams[1], ebin, ['file_a']);
	await pipeline.until('it is back with its beam', () => pipeline.directoryEvents.length === 2 && pipeline.settledFor('file_a') > 0);
	await installBeam(t.context.beams[2].file_b, ebin);
	await pipeline.until('a later write settled', () => pipeline.settledFor('file_b') > 0);
	t.is(pipeline.settledFor('file_a'), 1);
});

// 3. A versioned install gets a new version beside it.

test('a new <app>-<version> beside a watched <app>-<version>/ebin is reported once, nothing else is', async t => {
	const base = await makeBase();
	const lib = path.join(base, 'lib');
	const ebin = await makeEbin(lib, 'myapp-1.0/ebin');
	const pipeline = await startPipeline(t, [ebin], base);
	await mkdir(path.join(lib, 'otherapp-2.0', 'ebin'), {recursive: true});
	await mkdir(path.join(lib, 'myapp'));
	await writeFile(path.join(lib, 'myapp-3.0.tar.gz'), 'not a directory');
	await mkdir(path.join(lib, 'myapp-2.0', 'ebin'), {recursive: true});
	await pipeline.until('the sibling is reported', () => pipeline.siblings.length > 0);
	await pipeline.barrier(ebin);
	t.deepEqual(pipeline.siblings, [{directory: ebin, sibling: path.join(lib, 'myapp-2.0', 'ebin')}]);
	// The upgrade then removes the old version: that is reported too.
	await rm(path.join(lib, 'myapp-1.0'), {recursive: true});
	await pipeline.until('the watched ebin is gone', () => pipeline.directoryEvents.length > 0);
	t.deepEqual(pipeline.directoryEvents, [{directory: ebin, state: 'gone'}]);
	t.deepEqual(pipeline.errors, []);
});

test('a directory that is no versioned install gets no sibling watch', async t => {
	const base = await makeBase();
	const ebin = await makeEbin(base, 'lib/myapp/ebin');
	const pipeline = await startPipeline(t, [ebin], base);
	await mkdir(path.join(base, 'lib', 'myapp-2.0', 'ebin'), {recursive: true});
	await installBeam(t.context.beams[1].file_a, ebin);
	await pipeline.until('a beam settled', () => pipeline.settledFor('file_a') > 0);
	await pipeline.barrier(ebin);
	t.deepEqual(pipeline.siblings, []);
});

// 5. Garbage, truncated and vanishing beams are reported (or dropped), and the rest of the burst still settles.

async function burstOfGoodBeams(t: ExecutionContext<Context>, ebin: string): Promise<void> {
	await installBeam(t.context.beams[2].file_b, ebin);
	await installBeam(t.context.beams[2].file_c, ebin);
}

function goodBeamsSettled(pipeline: Pipeline): boolean {
	return pipeline.settledFor('file_b') > 0 && pipeline.settledFor('file_c') > 0;
}

test('a garbage file is reported once as ERR_BEAM_INVALID, and the other beams of the burst settle', async t => {
	const base = await makeBase();
	const ebin = await makeEbin(base);
	const pipeline = await startPipeline(t, [ebin], base);
	await writeFile(beamIn(ebin, 'file_a'), 'this is no beam at all, just text that someone wrote here');
	await burstOfGoodBeams(t, ebin);
	await pipeline.until('file_a reported, file_b and file_c settled', () => pipeline.problemsFor('file_a').length > 0 && goodBeamsSettled(pipeline));
	await pipeline.barrier(ebin);
	t.deepEqual(pipeline.problemsFor('file_a').map(problem => problem.error.code), ['ERR_BEAM_INVALID']);
	t.is(pipeline.settledFor('file_a'), 0);
	t.deepEqual([pipeline.settledFor('file_b'), pipeline.settledFor('file_c')], [1, 1]);
});

test('a beam that stays truncated is reported once as ERR_BEAM_INCOMPLETE, and the other beams of the burst settle', async t => {
	const base = await makeBase();
	const ebin = await makeEbin(base);
	const pipeline = await startPipeline(t, [ebin], base);
	await installBeamTruncated(t.context.beams[2].file_a, ebin, 100);
	await burstOfGoodBeams(t, ebin);
	await pipeline.until('file_a reported, file_b and file_c settled', () => pipeline.problemsFor('file_a').length > 0 && goodBeamsSettled(pipeline));
	await pipeline.barrier(ebin);
	const problems = pipeline.problemsFor('file_a');
	t.deepEqual(problems.map(problem => problem.error.code), ['ERR_BEAM_INCOMPLETE']);
	t.regex(problems[0]?.error.message ?? '', new RegExp(`stayed incomplete for ${INCOMPLETE_TIMEOUT_MS} ms \\(100 of \\d+ bytes\\)`));
	t.is(pipeline.settledFor('file_a'), 0);
	t.deepEqual([pipeline.settledFor('file_b'), pipeline.settledFor('file_c')], [1, 1]);
});

const vanishing = test.macro({
	async exec(t, write: (content: Buffer, target: string) => void) {
		const base = await makeBase();
		const ebin = await makeEbin(base);
		const pipeline = await startPipeline(t, [ebin], base);
		const content = await readFile(t.context.beams[2].file_a);
		// Synchronous, so nothing can read the file between the write and the unlink.
		write(content, beamIn(ebin, 'file_a'));
		unlinkSync(beamIn(ebin, 'file_a'));
		await burstOfGoodBeams(t, ebin);
		await pipeline.until('file_b and file_c settled', () => goodBeamsSettled(pipeline));
		await pipeline.barrier(ebin);
		t.is(pipeline.settledFor('file_a'), 0);
		const problems = pipeline.problemsFor('file_a');
		t.true(problems.length <= 1, `at most one report, got ${problems.length}`);
		for (const problem of problems) {
			t.is(problem.error.code, 'ERR_BEAM_UNREADABLE');
			t.regex(problem.error.message, /vanished/);
		}
		t.deepEqual([pipeline.settledFor('file_b'), pipeline.settledFor('file_c')], [1, 1]);
	},
	title: (name = '') => `a beam deleted right after it was ${name} settles nothing, and the other beams of the burst settle`,
});

test('written whole', vanishing, (content, target) => writeFileSync(target, content));
test('half-written', vanishing, (content, target) => writeFileSync(target, content.subarray(0, 100)));

test('a beam deleted while the settler waits for it to be complete is reported as vanished, once', async t => {
	const base = await makeBase();
	const ebin = await makeEbin(base);
	const pipeline = await startPipeline(t, [ebin], base);
	await installBeamTruncated(t.context.beams[2].file_a, ebin, 100);
	await burstOfGoodBeams(t, ebin);
	await pipeline.until('file_b and file_c settled', () => goodBeamsSettled(pipeline));
	// file_a is still being re-checked (incompleteTimeoutMs has a while to go, or was just reached).
	await rm(beamIn(ebin, 'file_a'));
	await pipeline.until('file_a reported', () => pipeline.problemsFor('file_a').length > 0);
	await pipeline.barrier(ebin);
	const codes = pipeline.problemsFor('file_a').map(problem => problem.error.code);
	// Either it vanished under the re-check, or the deadline came first.
	t.true(codes.length === 1 && ['ERR_BEAM_UNREADABLE', 'ERR_BEAM_INCOMPLETE'].includes(codes[0] ?? ''), codes.join());
	t.is(pipeline.settledFor('file_a'), 0);
});
