import {mkdir, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import test from 'ava';
import type {ReloaderError} from '../../../daemon/errors.ts';
import type {CompileRecord} from '../../../daemon/sources/compile-record.ts';
import {SourceCompiler, type CompileOutcome, type CompileRequest, type ModuleCompiler} from '../../../daemon/sources/source-compiler.ts';
import type {SourceWatcherOptions} from '../../../daemon/sources/source-watcher.ts';
import type {WrittenBeam} from '../../../daemon/sources/write-beam.ts';
import {FakeClock} from '../../support/fake-clock.ts';
import {syntheticBeam} from '../../support/synthetic-beam.ts';

/** A compiler that records what it was asked and answers from a table: a module whose source holds `syntax error` fails. */
class FakeCompiler implements ModuleCompiler {
	readonly name = 'fake';
	readonly requests: CompileRequest[] = [];
	#version = 0;

	async compile(request: CompileRequest): Promise<CompileOutcome> {
		this.requests.push(request);
		const text = await readFile(request.source, 'utf8');
		if (text.includes('syntax error')) {
			return {ok: false, diagnostics: [{file: request.source, line: 3, column: 5, severity: 'error', message: 'syntax error before: \'}\''}]};
		}
		return {ok: true, beam: syntheticBeam(request.module, ++this.#version), diagnostics: []};
	}

	async close(): Promise<void> {
		// Nothing of its own to remove.
	}
}

interface Harness {
	readonly root: string;
	readonly src: string;
	readonly ebin: string;
	readonly clock: FakeClock;
	readonly compiler: FakeCompiler;
	readonly records: CompileRecord[];
	readonly written: WrittenBeam[];
	readonly problems: ReloaderError[];
	readonly stage: SourceCompiler;
	/** The watcher reports these sources changed. */
	save(file: string, content: string): Promise<void>;
	/** The watcher's second look at a file, a moment after it reported it. */
	recheck(file: string): void;
	/** Let the quiet window close and the round run; resolves with its record (undefined: the round compiled nothing). */
	settle(): Promise<CompileRecord | undefined>;
}

async function harness(t: {teardown(fn: () => Promise<void>): void}, files: Record<string, string> = {}): Promise<Harness> {
	const root = await mkdtemp(join(tmpdir(), 'source-compiler-'));
	const src = join(root, 'src');
	const ebin = join(root, 'ebin');
	await Promise.all([mkdir(src), mkdir(ebin), mkdir(join(root, 'include'))]);
	for (const [name, content] of Object.entries(files)) {
		await writeFile(join(root, name), content);
	}
	const clock = new FakeClock();
	const compiler = new FakeCompiler();
	const records: CompileRecord[] = [];
	const written: WrittenBeam[] = [];
	const problems: ReloaderError[] = [];
	let watcher: SourceWatcherOptions | undefined;
	let round = 0;
	const stage = new SourceCompiler({
		directories: [{dir: src, ebin, include: []}],
		compiler,
		debounceMs: 300,
		maxWaitMs: 3000,
		watchMode: 'events',
		pollMs: 1000,
		clock,
		nextRound: () => ++round,
		onRecord: record => {
			records.push(record);
		},
		onProblem: error => {
			problems.push(error);
		},
		onBeamWritten: beam => {
			written.push(beam);
		},
		createWatcher: options => {
			watcher = options;
			return {ready: async () => undefined, add: async () => undefined, close: async () => undefined};
		},
	});
	await stage.start();
	t.teardown(async () => {
		await stage.close();
		await rm(root, {recursive: true, force: true});
	});
	const waitForRound = async () => {
		// The round reads files and compiles (real I/O): poll the stage's own status, not the clock.
		for (let tries = 0; tries < 2000 && stage.status().compiling; tries++) {
			await new Promise(resolve => setTimeout(resolve, 5));
		}
	};
	return {
		root, src, ebin, clock, compiler, records, written, problems, stage,
		async save(file, content) {
			await writeFile(join(root, file), content);
			watcher?.onSourceChanged(join(root, file), false);
		},
		recheck(file) {
			watcher?.onSourceChanged(join(root, file), true);
		},
		async settle() {
			const before = records.length;
			clock.advance(5000);
			await waitForRound();
			return records.length > before ? records.at(-1) : undefined;
		},
	};
}

test('one save is one compile and one record, and the beam is written whole into the ebin', async t => {
	const h = await harness(t, {'src/mod_a.erl': '-module(mod_a).\n'});
	await h.save('src/mod_a.erl', '-module(mod_a).\n-export([f/0]).\nf() -> 2.\n');
	const record = await h.settle();
	t.like(record, {event: 'compile', round: 1, ok: true, compiled: ['mod_a'], failed: [], changed: [join(h.src, 'mod_a.erl')], compiler: 'fake'});
	t.is(h.compiler.requests.length, 1);
	t.deepEqual(h.written.map(({module, path}) => ({module, path})), [{module: 'mod_a', path: join(h.ebin, 'mod_a.beam')}]);
	t.deepEqual(await readFile(join(h.ebin, 'mod_a.beam')), syntheticBeam('mod_a', 1));
});

test('a burst of saves within the quiet window is one round: each module compiled once', async t => {
	const h = await harness(t, {'src/mod_a.erl': 'a0', 'src/mod_b.erl': 'b0', 'src/mod_c.erl': 'c0'});
	await h.save('src/mod_a.erl', 'a1');
	h.clock.advance(100);
	await h.save('src/mod_b.erl', 'b1');
	await h.save('src/mod_a.erl', 'a2');
	h.clock.advance(100);
	await h.save('src/mod_c.erl', 'c1');
	const record = await h.settle();
	t.deepEqual([...record?.compiled ?? []].sort(), ['mod_a', 'mod_b', 'mod_c']);
	t.is(h.compiler.requests.length, 3);
	t.is(h.records.length, 1);
});

test('a save that writes the same bytes again is no change: nothing is compiled', async t => {
	const h = await harness(t, {'src/mod_a.erl': 'same'});
	await h.save('src/mod_a.erl', 'same');
	t.is(await h.settle(), undefined);
	t.is(h.compiler.requests.length, 0);
});

test('a changed header recompiles exactly the modules that include it, directly or through another header', async t => {
	const h = await harness(t, {
		'include/records.hrl': '-record(r, {a}).\n',
		'include/macros.hrl': '-include("records.hrl").\n',
		'src/mod_direct.erl': '-module(mod_direct).\n-include("records.hrl").\n',
		'src/mod_through.erl': '-module(mod_through).\n-include("macros.hrl").\n',
		'src/mod_other.erl': '-module(mod_other).\n% -include("records.hrl").\n',
	});
	await h.save('include/records.hrl', '-record(r, {a, b}).\n');
	const record = await h.settle();
	t.deepEqual([...record?.compiled ?? []].sort(), ['mod_direct', 'mod_through']);
	t.deepEqual(record?.modules.map(({module, headers}) => ({module, headers})).sort((a, b) => a.module.localeCompare(b.module)), [
		{module: 'mod_direct', headers: [join(h.root, 'include/records.hrl')]},
		{module: 'mod_through', headers: [join(h.root, 'include/records.hrl')]},
	]);
});

test('a failed compile is one record with its diagnostics; the old beam stays, and the next good save goes through', async t => {
	const h = await harness(t, {'src/mod_a.erl': 'v0'});
	await h.save('src/mod_a.erl', 'v1');
	await h.settle();
	const good = await readFile(join(h.ebin, 'mod_a.beam'));
	await h.save('src/mod_a.erl', 'v2 syntax error');
	const failed = await h.settle();
	t.like(failed, {ok: false, compiled: [], failed: ['mod_a']});
	t.deepEqual(failed?.diagnostics, [{file: join(h.src, 'mod_a.erl'), line: 3, column: 5, severity: 'error', message: 'syntax error before: \'}\''}]);
	t.deepEqual(await readFile(join(h.ebin, 'mod_a.beam')), good, 'the last good beam is kept');
	t.is(h.written.length, 1);
	await h.save('src/mod_a.erl', 'v3');
	t.like(await h.settle(), {ok: true, compiled: ['mod_a']});
	t.is(h.written.length, 2);
	t.like(h.stage.status(), {pending: 0, compiling: false, last: {ok: true}});
});

test('a removed source is not compiled, and its includers no longer count it', async t => {
	const h = await harness(t, {'src/mod_a.erl': 'a0'});
	await rm(join(h.src, 'mod_a.erl'));
	await h.save('src/mod_b.erl', 'b0');
	await rm(join(h.src, 'mod_b.erl'));
	t.is(await h.settle(), undefined);
	t.is(h.compiler.requests.length, 0);
});

test('the watcher\'s second look at a save does not stretch its quiet window: a lone save is compiled after debounceMs', async t => {
	const h = await harness(t, {'src/mod_a.erl': 'a0'});
	await h.save('src/mod_a.erl', 'a1');
	h.clock.advance(200);
	h.recheck('src/mod_a.erl');
	h.clock.advance(100);
	t.true(h.stage.status().compiling, 'the round started 300 ms after the save');
	t.like(await h.settle(), {compiled: ['mod_a']});
	t.is(h.compiler.requests.length, 1);
});

test('a second look with no round open opens one: a change whose event was swallowed is compiled; the same bytes compile nothing', async t => {
	const h = await harness(t, {'src/mod_a.erl': 'a0', 'src/mod_b.erl': 'b0'});
	await writeFile(join(h.src, 'mod_a.erl'), 'a1');
	h.recheck('src/mod_a.erl');
	t.like(await h.settle(), {compiled: ['mod_a']});
	h.recheck('src/mod_b.erl');
	t.is(await h.settle(), undefined);
	t.is(h.compiler.requests.length, 1);
});
