import {stat} from 'node:fs/promises';
import * as path from 'node:path';
import type {Clock, TimerHandle} from '../batcher/clock.ts';
import {QuietWindow} from '../batcher/quiet-window.ts';
import {ReloaderError, errorMessage} from '../errors.ts';
import {isWithin} from '../transports/path-map.ts';
import type {CompileDiagnostic} from './compile-diagnostics.ts';
import type {CompiledModule, CompileRecord} from './compile-record.ts';
import {IncludeGraph} from './include-graph.ts';
import {parseIncludes} from './parse-includes.ts';
import {readSource} from './read-source.ts';
import {sourceFileOf} from './source-files.ts';
import {listSourceFiles, treeIncludeDirs} from './source-tree.ts';
import {SourceWatcher, type SourceWatch, type SourceWatcherOptions, type SourceWatchMode} from './source-watcher.ts';
import {writeBeam, type WrittenBeam} from './write-beam.ts';

/** A directory of sources and the ebin its beams go to (a watched one). */
export interface SourceDirectory {
	readonly dir: string;
	readonly ebin: string;
	/** Include directories of its own, besides `include/` beside it. */
	readonly include: readonly string[];
}

export interface CompileRequest {
	readonly source: string;
	readonly module: string;
	/** The module's own include directories (its tree's `include/`, configured ones); the compiler adds ejabberd's. */
	readonly includeDirs: readonly string[];
	readonly signal: AbortSignal;
}

/** What a compile gave: the beam's bytes, or the reasons there is none; every diagnostic either way. */
export type CompileOutcome =
	| {readonly ok: true; readonly beam: Uint8Array; readonly diagnostics: readonly CompileDiagnostic[]}
	| {readonly ok: false; readonly diagnostics: readonly CompileDiagnostic[]};

/**
 * Compiles one module as ejabberd would; `name` says which compiler in the
 * records. A module that does not compile is an outcome; a throw is a
 * compile that could not run (no compiler, a timeout), told as the module's
 * error all the same.
 */
export interface ModuleCompiler {
	readonly name: string;
	compile(request: CompileRequest): Promise<CompileOutcome>;
	/** Remove what it made for itself (idempotent). */
	close(): Promise<void>;
}

export interface SourceCompilerOptions {
	readonly directories: readonly SourceDirectory[];
	readonly compiler: ModuleCompiler;
	/** The quiet window of a burst of saves (as for beams): one round per burst. */
	readonly debounceMs: number;
	readonly maxWaitMs: number;
	readonly watchMode: SourceWatchMode;
	readonly pollMs: number;
	readonly clock: Clock;
	readonly onRecord: (record: CompileRecord) => void;
	readonly onProblem: (error: ReloaderError, severity: 'warn' | 'error') => void;
	/** A good beam is in its ebin: the pipeline takes it from there. */
	readonly onBeamWritten: (beam: WrittenBeam) => void;
	/** Round numbers, shared across configurations so they never repeat. */
	readonly nextRound: () => number;
	/** What reports source changes. Default: a SourceWatcher (chokidar) on the directories. */
	readonly createWatcher?: (options: SourceWatcherOptions) => SourceWatch;
}

/** What /status says of the compile stage. */
export interface CompileStatus {
	readonly directories: readonly string[];
	/** Sources saved and not compiled yet. */
	readonly pending: number;
	readonly compiling: boolean;
	readonly last?: CompileRecord;
}

/** Modules compiled at once: erlc boots a VM per module, and two are what these machines' two cores carry. */
const COMPILE_CONCURRENCY = 2;

/**
 * The first stage of save-to-live: sources are watched, a burst of saves
 * (an editor's several writes, `git checkout`, a `make`-like loop) is
 * gathered by the same quiet window as beams, and then compiled in one
 * round: each changed module once, and each module that includes a changed
 * header. Good beams are written whole into their ebin (write-beam.ts) and
 * handed to the pipeline; a failed compile is one record with every
 * diagnostic, and the node keeps the last good beam. A save of the same
 * bytes (`:w` with nothing changed, a checkout that rewrites a file as it
 * was) is no change: the stage keeps each source's digest.
 */
export class SourceCompiler {
	readonly #options: SourceCompilerOptions;
	/** The source directories: those configured, and contrib modules' found while the daemon runs (add). */
	readonly #directories: SourceDirectory[];
	/** Every directory watched (sources and their include directories). */
	readonly #roots: string[] = [];
	readonly #window: QuietWindow;
	readonly #graph: IncludeGraph;
	/** Each source's bytes as last read (MD5). */
	readonly #digests = new Map<string, string>();
	/** Saved since the last round started. */
	readonly #pending = new Set<string>();
	readonly #abort = new AbortController();
	#watcher: SourceWatch | undefined;
	#timer: TimerHandle | undefined;
	#round: Promise<void> | undefined;
	#last: CompileRecord | undefined;
	#closing: Promise<void> | undefined;

	constructor(options: SourceCompilerOptions) {
		this.#options = options;
		this.#directories = [...options.directories];
		this.#window = new QuietWindow({debounceMs: options.debounceMs, maxWaitMs: options.maxWaitMs});
		this.#graph = new IncludeGraph(options.directories.flatMap(ownIncludeDirs));
	}

	/**
	 * Read every source once (digests, includes), then watch: the source
	 * directories and their include directories (a header beside `src/` is
	 * one too). Resolves once saves from now on are seen.
	 */
	async start(): Promise<void> {
		const {createWatcher, watchMode, pollMs, onProblem} = this.#options;
		const roots = await watchedRoots(this.#directories, []);
		this.#roots.push(...roots);
		await Promise.all(roots.map(async root => this.#scan(root)));
		if (this.#closing !== undefined) {
			return;
		}
		this.#watcher = (createWatcher ?? (watchOptions => new SourceWatcher(watchOptions)))({
			directories: roots,
			mode: watchMode,
			pollMs,
			onSourceChanged: (source, recheck) => this.#changed(source, recheck),
			onError: error => onProblem(error, 'error'),
			onPolling: (directory, reason) => onProblem(new ReloaderError('ERR_WATCH', `sources: polling ${JSON.stringify(directory)}: ${reason}`), 'warn'),
		});
		await this.#watcher.ready();
	}

	/**
	 * Compile what is saved in one more directory from now on (a contrib
	 * module's sources, found while the daemon runs): read as at start, then
	 * watched. Its include directories count for the whole graph.
	 */
	async add(directory: SourceDirectory): Promise<void> {
		if (this.#closing !== undefined || this.#directories.some(({dir}) => dir === directory.dir)) {
			return;
		}
		this.#directories.push(directory);
		const roots = await watchedRoots([directory], this.#roots);
		this.#roots.push(...roots);
		this.#graph.addIncludeDirectories(ownIncludeDirs(directory));
		for (const root of roots) {
			await this.#scan(root);
			await this.#watcher?.add(root);
		}
	}

	status(): CompileStatus {
		return {
			directories: this.#directories.map(({dir}) => dir),
			pending: this.#pending.size,
			compiling: this.#round !== undefined,
			...(this.#last === undefined ? {} : {last: this.#last}),
		};
	}

	/** Stop watching; a round under way is cut short (its compiler killed), nothing more is written. */
	close(): Promise<void> {
		this.#closing ??= (async () => {
			this.#abort.abort();
			this.#cancelTimer();
			await this.#watcher?.close();
			await this.#round;
			await this.#options.compiler.close();
		})();
		return this.#closing;
	}

	async #scan(root: string): Promise<void> {
		const {files, truncated} = await listSourceFiles(root);
		if (truncated) {
			this.#options.onProblem(new ReloaderError('ERR_WATCH', `sources: ${JSON.stringify(root)} holds more than ${files.length} sources; only those were read at start (a header change recompiles only the includers among them)`, {
				hint: 'Point `sources` at the module\'s own source directory, not a tree above it.',
			}), 'warn');
		}
		for (const file of files) {
			const content = await readSource(file).catch(() => undefined);
			if (content !== undefined) {
				this.#digests.set(file, content.digest);
				this.#graph.set(file, parseIncludes(content.text));
			}
		}
	}

	/**
	 * A save (or the watcher's second look at one). The look goes into the
	 * open round without moving its window: it is no save, and counted as one
	 * it would stretch a lone save's quiet (a second change 200 ms later
	 * makes a burst). With no window open it opens one: the look may have
	 * found a change whose event chokidar swallowed; a round that reads the
	 * same bytes compiles nothing.
	 */
	#changed(source: string, recheck = false): void {
		if (this.#closing !== undefined) {
			return;
		}
		this.#pending.add(source);
		if (recheck && this.#window.closesAt() !== undefined) {
			return;
		}
		this.#window.note(this.#options.clock.now(), source);
		this.#schedule();
	}

	#schedule(): void {
		this.#cancelTimer();
		const closesAt = this.#window.closesAt();
		if (closesAt === undefined || this.#round !== undefined) {
			return;
		}
		const {clock} = this.#options;
		this.#timer = clock.setTimer(() => {
			this.#timer = undefined;
			this.#startRound();
		}, Math.max(0, closesAt - clock.now()));
	}

	/** One round at a time; saves during it wait for the next. */
	#startRound(): void {
		const sources = [...this.#pending];
		this.#pending.clear();
		this.#window.reset();
		this.#round = this.#compileRound(sources).catch((error: unknown) => {
			this.#options.onProblem(new ReloaderError('ERR_COMPILE', `Compile round failed: ${errorMessage(error)}`, {cause: error, hint: 'The next save tries again.'}), 'error');
		}).finally(() => {
			this.#round = undefined;
			if (this.#pending.size > 0) {
				this.#schedule();
			}
		});
	}

	async #compileRound(sources: readonly string[]): Promise<void> {
		const startedAt = performance.now();
		const {changed, removedHeaders} = await this.#readChanged(sources);
		const stale = this.#staleModules(changed, removedHeaders);
		if (stale.length === 0 || this.#abort.signal.aborted) {
			return;
		}
		const compiled: CompiledModule[] = [];
		const diagnostics: CompileDiagnostic[] = [];
		const written: WrittenBeam[] = [];
		const queue = [...stale];
		const work = async () => {
			for (let next = queue.shift(); next !== undefined && !this.#abort.signal.aborted; next = queue.shift()) {
				const result = await this.#compileOne(next);
				compiled.push(result.module);
				diagnostics.push(...result.diagnostics);
				if (result.beam !== undefined) {
					written.push(result.beam);
				}
			}
		};
		await Promise.all(Array.from({length: Math.min(COMPILE_CONCURRENCY, stale.length)}, work));
		if (this.#abort.signal.aborted) {
			return;
		}
		const order = new Map(stale.map(({module}, position) => [module, position]));
		compiled.sort((a, b) => (order.get(a.module) ?? 0) - (order.get(b.module) ?? 0));
		const record: CompileRecord = {
			event: 'compile',
			round: this.#options.nextRound(),
			changed,
			modules: compiled,
			compiled: compiled.filter(({ok}) => ok).map(({module}) => module),
			failed: compiled.filter(({ok}) => !ok).map(({module}) => module),
			diagnostics,
			ok: compiled.every(({ok}) => ok),
			compiler: this.#options.compiler.name,
			durationMs: Math.round(performance.now() - startedAt),
		};
		this.#last = record;
		this.#options.onRecord(record);
		for (const beam of written) {
			this.#options.onBeamWritten(beam);
		}
	}

	/**
	 * Read each saved source: the ones whose bytes really changed, and the
	 * headers that went away with their includers (who no longer compile,
	 * and whose next compile says so), with the include graph brought up to date.
	 */
	async #readChanged(sources: readonly string[]): Promise<{changed: string[]; removedHeaders: Map<string, string[]>}> {
		const changed: string[] = [];
		const removedHeaders = new Map<string, string[]>();
		for (const source of sources) {
			let content;
			try {
				content = await readSource(source);
			} catch (error) {
				this.#options.onProblem(error instanceof ReloaderError ? error : new ReloaderError('ERR_SOURCE_UNREADABLE', errorMessage(error)), 'error');
				continue;
			}
			if (content === undefined) {
				// Removed (or renamed away for good): a module is not compiled; a header's includers are, and say what is missing.
				if (this.#digests.delete(source)) {
					if (sourceFileOf(source)?.kind === 'header') {
						removedHeaders.set(source, this.#graph.includersOf([source]));
					}
					this.#graph.delete(source);
				}
				continue;
			}
			if (this.#digests.get(source) === content.digest) {
				continue;
			}
			this.#digests.set(source, content.digest);
			this.#graph.set(source, parseIncludes(content.text));
			changed.push(source);
		}
		return {changed, removedHeaders};
	}

	/** Each module to compile once: a changed module, and every includer of a changed or removed header, in the order saved. */
	#staleModules(changed: readonly string[], removedHeaders: ReadonlyMap<string, readonly string[]>): StaleModule[] {
		const stale = new Map<string, StaleModule>();
		for (const source of changed) {
			const file = sourceFileOf(source);
			if (file?.kind === 'module') {
				stale.set(source, {module: file.module, source});
			}
		}
		const headers = new Map<string, readonly string[]>(removedHeaders);
		for (const header of changed.filter(source => sourceFileOf(source)?.kind === 'header')) {
			headers.set(header, this.#graph.includersOf([header]));
		}
		for (const [header, includers] of headers) {
			for (const includer of includers) {
				const file = sourceFileOf(includer);
				const own = stale.get(includer);
				if (file?.kind === 'module' && (own === undefined || own.headers !== undefined)) {
					stale.set(includer, {module: file.module, source: includer, headers: [...own?.headers ?? [], header]});
				}
			}
		}
		return [...stale.values()];
	}

	async #compileOne(stale: StaleModule): Promise<{module: CompiledModule; diagnostics: readonly CompileDiagnostic[]; beam?: WrittenBeam}> {
		const started = performance.now();
		const directory = this.#directoryOf(stale.source);
		const {module, source, headers} = stale;
		const entry = (ok: boolean): CompiledModule => ({module, source, ...(headers === undefined ? {} : {headers}), ok, compileMs: Math.round(performance.now() - started)});
		if (directory === undefined) {
			return {module: entry(false), diagnostics: [{file: source, severity: 'error', message: 'no `sources` entry holds this file'}]};
		}
		let outcome: CompileOutcome;
		try {
			outcome = await this.#options.compiler.compile({source, module, includeDirs: ownIncludeDirs(directory), signal: this.#abort.signal});
		} catch (error) {
			const hint = error instanceof ReloaderError && error.hint !== undefined ? ` (${error.hint})` : '';
			return {module: entry(false), diagnostics: [{file: source, severity: 'error', message: `${errorMessage(error)}${hint}`}]};
		}
		if (!outcome.ok || this.#abort.signal.aborted) {
			return {module: entry(false), diagnostics: outcome.diagnostics};
		}
		try {
			const beam = await writeBeam(directory.ebin, module, outcome.beam);
			return {module: entry(true), diagnostics: outcome.diagnostics, beam};
		} catch (error) {
			return {module: entry(false), diagnostics: [...outcome.diagnostics, {file: source, severity: 'error', message: `compiled, but writing ${path.join(directory.ebin, `${module}.beam`)} failed: ${errorMessage(error)}`}]};
		}
	}

	/** The entry whose directory holds the source (the innermost, when they nest). */
	#directoryOf(source: string): SourceDirectory | undefined {
		const holding = this.#directories.filter(({dir}) => source !== dir && isWithin(source, dir));
		return holding.sort((a, b) => b.dir.length - a.dir.length)[0];
	}

	#cancelTimer(): void {
		if (this.#timer !== undefined) {
			this.#options.clock.clearTimer(this.#timer);
			this.#timer = undefined;
		}
	}
}

interface StaleModule {
	readonly module: string;
	readonly source: string;
	readonly headers?: readonly string[];
}

/** A source directory's include directories: its tree's (treeIncludeDirs), and configured ones. */
function ownIncludeDirs(directory: SourceDirectory): string[] {
	return [...treeIncludeDirs(directory.dir), ...directory.include];
}

/** The source directories and their existing include directories not watched yet, none inside another (each watched once). */
async function watchedRoots(directories: readonly SourceDirectory[], watched: readonly string[]): Promise<string[]> {
	const candidates = [...new Set([...directories.map(({dir}) => dir), ...directories.flatMap(ownIncludeDirs)])];
	const present = await Promise.all(candidates.map(async directory => stat(directory).then(stats => stats.isDirectory(), () => false)));
	const existing = candidates.filter((_, position) => present[position]);
	return existing.filter(directory => !existing.some(other => other !== directory && isWithin(directory, other)) && !watched.some(other => isWithin(directory, other)));
}
