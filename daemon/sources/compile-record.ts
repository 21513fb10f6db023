import type {CompileDiagnostic} from './compile-diagnostics.ts';

/**
 * One compile round: the sources saved within one quiet window, every module
 * they make stale compiled once (a changed `.erl`, and each module that
 * includes a changed `.hrl`), the good beams put into their ebins, where the
 * pipeline loads them (batches with trigger `compile`).
 */
export interface CompileRecord {
	readonly event: 'compile';
	readonly round: number;
	/** The sources whose change started the round (really changed: a save of the same bytes is none). */
	readonly changed: readonly string[];
	/** Each module compiled, and why: its own source, or the headers it includes that changed. */
	readonly modules: readonly CompiledModule[];
	/** Modules compiled and written into their ebin. */
	readonly compiled: readonly string[];
	/** Modules that did not compile: the node keeps their last good beam; the next good save goes through. */
	readonly failed: readonly string[];
	/** Every error and warning, `file:line:col: message` when formatted. */
	readonly diagnostics: readonly CompileDiagnostic[];
	/** Every module compiled and its beam written. */
	readonly ok: boolean;
	/** The compiler (`erlc` and its path). */
	readonly compiler: string;
	readonly durationMs: number;
}

export interface CompiledModule {
	readonly module: string;
	readonly source: string;
	/** The changed headers that made it stale; absent: its own source changed. */
	readonly headers?: readonly string[];
	readonly ok: boolean;
	readonly compileMs: number;
}
