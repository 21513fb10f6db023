/**
 * Compiling a module the way ejabberd's ext_mod does, in compile:file's own
 * vocabulary: the description sources/compile-options.ts makes once per
 * module, which erlc's command spells as flags and a node's compile:file
 * takes as terms (Transport.compileModule).
 */

/** compile:file options ext_mod passes besides include directories, by their compile:file names (erlc: `-v`, `+debug_info`, `-Werror`). */
export type CompileFlag = 'verbose' | 'debug_info' | 'warnings_as_errors';

/** Language features enabled as `{feature, Name, enable}` (erlc: `+{feature,Name,enable}`). */
export type CompileFeature = 'maybe_expr';

/**
 * One module's options as ejabberd's ext_mod gives them to compile:file,
 * include directories in search order: `includeDirs`, then the `include`
 * directory of each of `applications` (found where the compiler runs, as
 * ext_mod's app_dir finds them), then `lastIncludeDirs`.
 */
export interface ModuleCompileOptions {
	/** Searched first: the module folder's parent (24.06 on), the module's own include directories. Paths as this host sees them. */
	readonly includeDirs: readonly string[];
	/** Applications whose `include` directories follow, in order: `fast_xml`, `xmpp`, `p1_utils`, `ejabberd`. */
	readonly applications: readonly string[];
	/** Searched last: the include directories of contrib modules already installed. Paths as this host sees them. */
	readonly lastIncludeDirs: readonly string[];
	readonly flags: readonly CompileFlag[];
	readonly features: readonly CompileFeature[];
}

/** One module to compile on the node, every path as this host sees it (the transport translates through `paths`). */
export interface NodeCompileRequest extends ModuleCompileOptions {
	/** The `.erl` file; the node must be able to read it at its own path for it. */
	readonly source: string;
	/** How long the compile may take; the node may still finish it afterwards (an rpc cannot be recalled). */
	readonly timeoutMs: number;
	/** Diagnostics whose message is asked of the node; the rest are only counted. */
	readonly maxDiagnostics: number;
	/** A beam larger than this is refused. */
	readonly maxBeamBytes: number;
}

/** What the node's compiler said of one place, its file as this host sees it. */
export interface NodeDiagnostic {
	readonly file: string;
	readonly line?: number;
	readonly column?: number;
	readonly severity: 'error' | 'warning';
	/** `Module:format_error(Descriptor)` as the node formats it; the descriptor itself when the node cannot be asked. */
	readonly message: string;
	/** The module that reported it: `erl_lint`, `epp`, `compile`, a parse transform. */
	readonly reporter: string;
	/** A cause the compiler can help with: the source unreadable on the node, an `-include_lib` it could not resolve. */
	readonly cause?: NodeCompileCause;
}

export type NodeCompileCause =
	/** compile:file could not read the file at the node's path (`{epp, enoent}`). */
	| {readonly kind: 'unreadable'; readonly reason: string}
	/** epp found no `-include_lib` file: `application` is the path's first component, as written. */
	| {readonly kind: 'includeLib'; readonly path: string; readonly application: string};

/** Where the node found an application's include directory (ext_mod's app_dir). */
export interface NodeApplication {
	readonly name: string;
	/** Its `include` directory as this host sees it; undefined when the node knows no such application. */
	readonly includeDir: string | undefined;
	/** `code:lib_dir(Name)` answers: `-include_lib("Name/...")` resolves on the node. False when only `code:which` found it (Debian 12's `p1_xmpp-1.6.1` for `xmpp`). */
	readonly named: boolean;
}

/** What compile:file gave: the beam, or none; every diagnostic kept either way. */
export interface NodeCompileResult {
	/** The compiled beam's bytes (`{ok, Mod, Binary, Warnings}`); undefined when the module did not compile. */
	readonly beam: Buffer | undefined;
	/** The module the beam holds (its `-module`), when compiled. */
	readonly module: string | undefined;
	/** Errors first, then warnings, as compile:file lists them; at most maxDiagnostics. */
	readonly diagnostics: readonly NodeDiagnostic[];
	/** Diagnostics past maxDiagnostics, counted. */
	readonly omitted: {readonly errors: number; readonly warnings: number};
	/** The source as the node was asked to read it. */
	readonly nodeSource: string;
	readonly applications: readonly NodeApplication[];
}
