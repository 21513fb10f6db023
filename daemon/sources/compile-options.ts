import {dirname, join} from 'node:path';
import {ReloaderError, describeValue} from '../errors.ts';
import type {CompileFlag, ModuleCompileOptions} from '../transports/node-compile.ts';

/** Where ejabberd and its libraries are, and how strict to be: the same for every module compiled. */
export interface CompileEnvironment {
	/** The erlc to run: a path, or a name looked up on PATH. Default `erlc`. */
	readonly erlc?: string;
	/** `23.01`, `24.12`, or Debian's `23.01-1`: picks the options that release's ext_mod passes. */
	readonly ejabberdVersion: string;
	/** `/usr/lib/x86_64-linux-gnu/ejabberd-23.01-1/ebin`. */
	readonly ejabberdEbin: string;
	/** `/usr/lib/x86_64-linux-gnu/ejabberd-23.01-1/include`. */
	readonly ejabberdInclude: string;
	/** The library aliases (library-aliases.ts): `xmpp`, `fast_xml`, `p1_utils`, ... linked to Debian's `p1_*` directories. */
	readonly aliasDir: string;
	/** The include directories of contrib modules already installed, which ext_mod searches last (its `installed()`). */
	readonly installedIncludeDirs?: readonly string[];
	/** Warnings fail the compile (`-Werror`). ext_mod never does this; a project may. Default false. */
	readonly warningsAsErrors?: boolean;
}

/** The one module to compile. */
export interface CompileTarget {
	readonly sourceFile: string;
	readonly outDir: string;
	/** The module's own include directories (its `include/`, configured ones), searched first as ext_mod searches `<module>/include`. */
	readonly includeDirs?: readonly string[];
	/** ext_mod's LibDir, the module's folder holding `src/`: from 24.06 on its parent is searched first too. Unset: not searched. */
	readonly moduleDir?: string;
}

/** A program and its argv, run without a shell, and the variables it needs set. */
export interface ErlcCommand {
	readonly command: string;
	readonly args: readonly string[];
	/** Set for erlc on top of the daemon's environment, cleaned by erlcEnvironment. */
	readonly env: Readonly<Record<string, string>>;
}

/** What one ejabberd release's ext_mod passes to compile:file beyond the options all releases share. */
export interface ExtModOptions {
	/** 24.06 on: `{i, LibDir++"/.."}` first, and no `{i, LibDir/include}` of its own (the include directories it finds cover it). */
	readonly searchesModuleParent: boolean;
	/** 25.10 on: `{feature, maybe_expr, enable}`. */
	readonly enablesMaybeExpr: boolean;
}

/**
 * The applications whose include directories every ext_mod passes, in its
 * order: `[{i, filename:join(app_dir(App), "include")} || App <- [fast_xml, xmpp, p1_utils, ejabberd]]`.
 */
export const EXT_MOD_APPLICATIONS = Object.freeze(['fast_xml', 'xmpp', 'p1_utils', 'ejabberd'] as const);

/** What one module's options depend on: the release, and the module's own directories. */
export interface ExtModCompileSettings {
	/** `23.01`, `24.12`, or Debian's `23.01-1`: picks the options that release's ext_mod passes. */
	readonly ejabberdVersion: string;
	/** The module's own include directories (its `include/`, configured ones), searched first as ext_mod searches `<module>/include`. */
	readonly includeDirs?: readonly string[];
	/** ext_mod's LibDir, the module's folder holding `src/`: from 24.06 on its parent is searched first too. Unset: not searched. */
	readonly moduleDir?: string;
	/** The include directories of contrib modules already installed, which ext_mod searches last (its `installed()`). */
	readonly installedIncludeDirs?: readonly string[];
	/** Warnings fail the compile (`warnings_as_errors`). ext_mod never does this; a project may. */
	readonly warningsAsErrors?: boolean;
}

/**
 * The options ejabberd's own `ejabberdctl module_install` compiles a module
 * with, described once: erlc's command (buildErlcCommand) and the node's
 * compile:file (node-module-compiler.ts) are both spelled from this, so a
 * module that compiles with one compiles with the other, and there. From
 * `src/ext_mod.erl` (read at tags 23.01 and 24.12 of processone/ejabberd):
 *
 * - compile_options/0 (23.01 lines 598-604, 24.12 lines 637-643):
 *   `[verbose, report_errors, report_warnings, debug_info, ?ALL_DEFS]`
 *   `++ maybe_define_lager_macro()` `++ [{i, app_dir(App)/include} || App <- [fast_xml, xmpp, p1_utils, ejabberd]]`
 *   `++ [{i, mod_dir(Mod)/include} || Mod <- installed()]`: `verbose`,
 *   `debug_info`, the four applications (where the compiler runs: on
 *   Debian 12 app_dir falls back to the directory of `code:which(xmpp)`,
 *   `p1_xmpp-1.6.1`), then `installedIncludeDirs`. How errors and warnings
 *   come back (`report_*` printed, `return_*` returned) is the compiler's own
 *   business.
 * - `?ALL_DEFS` adds nothing: rebar.config.script (23.01 line 319) defines it
 *   as the list of the build's `{d, M}` (Debian's: DEPRECATED_GET_STACKTRACE,
 *   HAVE_ERL_ERROR, HAVE_URI_STRING, SIP, STUN, read from ext_mod.beam), and
 *   ext_mod puts that list, nested, into the options, where compile:file
 *   looks for `{d, M}` only at the top level: nothing is defined. Checked with
 *   `compile:file(F, [[{d, 'SIP'}]])` and `-ifdef('SIP')` on OTP 25 and 27.
 * - maybe_define_lager_macro/0 (23.01 lines 592-596) defines LAGER only on
 *   OTP before 22, older than any compiler this runs.
 * - compile/1 (23.01 lines 560-573): `[{outdir, Bin}, {i, LibDir/include} | compile_options()]`,
 *   then compile_erlang_file/3 (lines 626-628) prepends `{outdir, Dest}`:
 *   the module's include directories first.
 * - compile/1 from 24.06 (commit 394ba26d1; 24.12 lines 600-605):
 *   `[{outdir, Bin}, {i, LibDir++"/.."} | Includes ++ compile_options()]` with
 *   `Includes` every `include` directory its wildcard finds (24.06-25.02:
 *   anywhere under the sources directory, `LibDir/../../**∕include`; 25.03 on:
 *   under `LibDir/deps`); the caller passes those it wants as `includeDirs`.
 * - 25.07 adds the include directories of `p1_xml` and `p1_xmpp`: on Debian
 *   the same directories as fast_xml's and xmpp's, already searched.
 * - 25.10 adds `{feature, maybe_expr, enable}`.
 */
export function extModCompileOptions(settings: ExtModCompileSettings): ModuleCompileOptions {
	const release = extModOptionsOf(settings.ejabberdVersion);
	const moduleParent = release.searchesModuleParent && settings.moduleDir !== undefined ? [dirname(settings.moduleDir)] : [];
	const flags: CompileFlag[] = ['verbose', 'debug_info', ...(settings.warningsAsErrors === true ? ['warnings_as_errors' as const] : [])];
	return Object.freeze({
		includeDirs: Object.freeze([...moduleParent, ...(settings.includeDirs ?? [])]),
		applications: EXT_MOD_APPLICATIONS,
		lastIncludeDirs: Object.freeze([...(settings.installedIncludeDirs ?? [])]),
		flags: Object.freeze(flags),
		features: Object.freeze(release.enablesMaybeExpr ? ['maybe_expr' as const] : []),
	});
}

/** erlc's spelling of each compile:file flag. */
const ERLC_FLAGS: Readonly<Record<CompileFlag, string>> = Object.freeze({verbose: '-v', debug_info: '+debug_info', warnings_as_errors: '-Werror'});

/**
 * erlc's command for one module, spelled from extModCompileOptions. ext_mod
 * compiles inside the node, whose code path holds ejabberd's ebin (gen_mod
 * for `-behaviour(gen_mod)`, ejabberd_sql_pt for `?SQL`) and every library:
 * here `-pa` the ebin and ERL_LIBS the aliases, whose `<app>/include` stand
 * for the applications' include directories (ejabberd's own is
 * `ejabberdInclude`).
 */
export function buildErlcCommand(environment: CompileEnvironment, target: CompileTarget): ErlcCommand {
	const options = extModCompileOptions({
		ejabberdVersion: environment.ejabberdVersion,
		...(target.includeDirs === undefined ? {} : {includeDirs: target.includeDirs}),
		...(target.moduleDir === undefined ? {} : {moduleDir: target.moduleDir}),
		...(environment.installedIncludeDirs === undefined ? {} : {installedIncludeDirs: environment.installedIncludeDirs}),
		warningsAsErrors: environment.warningsAsErrors === true,
	});
	const includeDirs = [
		...options.includeDirs,
		...options.applications.map(app => (app === 'ejabberd' ? environment.ejabberdInclude : join(environment.aliasDir, app, 'include'))),
		...options.lastIncludeDirs,
	];
	const args = [
		'-o', target.outDir,
		...options.flags.map(flag => ERLC_FLAGS[flag]),
		...options.features.map(feature => `+{feature,${feature},enable}`),
		...includeDirs.flatMap(dir => ['-I', dir]),
		'-pa', environment.ejabberdEbin,
		// Everything after `--` is a file to erlc, so a source named `-foo.erl` is not taken for an option.
		'--', target.sourceFile,
	];
	return Object.freeze({command: environment.erlc ?? 'erlc', args: Object.freeze(args), env: Object.freeze({ERL_LIBS: environment.aliasDir})});
}

/** The ext_mod options that differ by ejabberd release (see extModCompileOptions for the sources). */
export function extModOptionsOf(ejabberdVersion: string): ExtModOptions {
	const release = releaseNumber(ejabberdVersion);
	return Object.freeze({searchesModuleParent: release >= 2406, enablesMaybeExpr: release >= 2510});
}

/**
 * Variables of the daemon's own environment that would change what erlc
 * does, and that ejabberd's node does not share: extra compile options
 * (`ERL_COMPILER_OPTIONS`, e.g. a developer's `warnings_as_errors`), emulator
 * flags (`ERL_FLAGS` with `-sname` would start erlc's VM distributed), and
 * another ERL_LIBS.
 */
const DROPPED_VARIABLES = ['ERL_COMPILER_OPTIONS', 'ERL_FLAGS', 'ERL_AFLAGS', 'ERL_ZFLAGS', 'ERL_LIBS'] as const;

/** The environment erlc runs in: `base` without DROPPED_VARIABLES, then the command's own; no crash dump either (a VM that dies while booting writes megabytes). */
export function erlcEnvironment(base: Readonly<Record<string, string | undefined>>, command: ErlcCommand): Record<string, string> {
	const env: Record<string, string> = {};
	for (const [name, value] of Object.entries(base)) {
		if (value !== undefined && !(DROPPED_VARIABLES as readonly string[]).includes(name)) {
			env[name] = value;
		}
	}
	return {...env, ERL_CRASH_DUMP_SECONDS: '0', ...command.env};
}

/** `24.12` as 2412; Debian's `23.01-1` and a release's `24.12.1` read the same. */
function releaseNumber(version: string): number {
	const match = /^(\d{2})\.(\d{2})(?:[.-]|$)/.exec(version);
	if (match === null) {
		throw new ReloaderError('ERR_CONFIG_INVALID', `Expected an ejabberd version such as \`23.01\` or \`24.12\`, got ${describeValue(version)}`, {
			hint: 'Give the version of the ejabberd the modules are compiled for (Debian: the suffix of /usr/lib/x86_64-linux-gnu/ejabberd-*).',
		});
	}
	return Number(match[1]) * 100 + Number(match[2]);
}
