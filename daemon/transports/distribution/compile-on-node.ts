import {posix} from 'node:path';
import {ReloaderError} from '../../errors.ts';
import {atom, formatTerm, tuple, type Term} from '../../lib/erlang-term/index.ts';
import type {CompileFeature, CompileFlag, NodeApplication, NodeCompileRequest, NodeCompileResult, NodeDiagnostic} from '../node-compile.ts';
import type {PathMap} from '../path-map.ts';
import type {RemoteCall} from './code-operations.ts';
import {readCharlist} from './read-results.ts';
import {readChardata, readCompileAnswer, type ErrorInfo} from './read-compile-result.ts';

/**
 * The modules whose `format_error/1` turns a diagnostic's descriptor into its
 * message on the node, as erlc prints it: the compiler's passes that report
 * errors or warnings on OTP 25 to 27 (v3_kernel until 26, beam_core_to_ssa
 * from 27), and ejabberd_sql_pt, the parse transform behind `?SQL`. The
 * daemon cannot send code, so it calls each one by name, and only these: a
 * diagnostic of any other module (another parse transform) shows its
 * descriptor in Erlang syntax instead.
 */
export const MESSAGE_FORMATTERS = Object.freeze([
	'compile', 'epp', 'erl_scan', 'erl_parse', 'erl_lint', 'erl_features',
	'sys_core_fold', 'v3_core', 'v3_kernel', 'beam_core_to_ssa', 'beam_ssa_bsm', 'beam_ssa_recv', 'beam_validator',
	'ejabberd_sql_pt',
] as const);

/** Characters kept of one message as the node formats it; the compiler's own limits cut further. */
const MAX_MESSAGE_CHARS = 8192;

/** What becomes an atom on the node: an application name, never anything a source says. */
const APPLICATION_NAME = /^[a-z][a-z0-9_]*$/;

const FLAGS: ReadonlySet<string> = new Set<CompileFlag>(['verbose', 'debug_info', 'warnings_as_errors']);
const FEATURES: ReadonlySet<string> = new Set<CompileFeature>(['maybe_expr']);

/**
 * Compile one module on the node: `compile:file(Source, [binary,
 * return_errors, return_warnings | Options])`, in memory (nothing is written
 * on the node), each path translated through `paths` both ways; then each
 * diagnostic kept is given its message by its reporter's format_error/1 on
 * the node (MESSAGE_FORMATTERS). The applications' include directories are
 * found first, as ext_mod's app_dir finds them: `code:lib_dir(App)`, else the
 * directory above `code:which(App)`.
 */
export async function compileOnNode(call: RemoteCall, paths: PathMap, request: NodeCompileRequest, signal?: AbortSignal): Promise<NodeCompileResult> {
	checkRequest(request);
	const applications = await Promise.all(request.applications.map(async name => findApplication(call, name, signal)));
	const nodeSource = paths.toNode(request.source);
	const includeDirs = [
		...request.includeDirs.map(dir => paths.toNode(dir)),
		...applications.flatMap(({includeDir}) => (includeDir === undefined ? [] : [includeDir])),
		...request.lastIncludeDirs.map(dir => paths.toNode(dir)),
	];
	const options = compileFileOptions(includeDirs, request.flags, request.features);
	const answer = readCompileAnswer(await call('compile', 'file', [nodeSource, options], signal, request.timeoutMs));
	const treatedAsErrors = request.flags.includes('warnings_as_errors') && answer.beam === undefined;
	const infos = [
		...answer.errors.map(info => ({info, severity: 'error' as const})),
		// As erlc prints them under -Werror: the warnings are what failed the compile.
		...answer.warnings.map(info => ({info, severity: treatedAsErrors ? 'error' as const : 'warning' as const})),
	];
	const kept = infos.slice(0, request.maxDiagnostics);
	const omitted = {errors: 0, warnings: 0};
	for (const {severity} of infos.slice(kept.length)) {
		omitted[severity === 'error' ? 'errors' : 'warnings'] += 1;
	}
	const diagnostics = await Promise.all(kept.map(async ({info, severity}) => diagnosticOf(call, paths, info, severity, signal)));
	const oversized = answer.beam !== undefined && answer.beam.byteLength > request.maxBeamBytes;
	return {
		beam: oversized ? undefined : answer.beam,
		module: answer.module,
		diagnostics: oversized ? [...diagnostics, {file: request.source, severity: 'error', reporter: 'compile', message: `the compiled beam is ${answer.beam?.byteLength} bytes, more than the ${request.maxBeamBytes} bytes a beam may have (maxBeamBytes)`}] : diagnostics,
		omitted,
		nodeSource,
		applications: applications.map(application => (application.includeDir === undefined ? application : {...application, includeDir: paths.toLocal(application.includeDir)})),
	};
}

/** `[binary, return_errors, return_warnings, Flag..., {feature, F, enable}..., {i, Dir}...]`: include directories in the order given. */
export function compileFileOptions(includeDirs: readonly string[], flags: readonly CompileFlag[], features: readonly CompileFeature[]): Term[] {
	return [
		// In memory, and every diagnostic returned rather than printed: report_* would write to the node's stdout.
		atom('binary'), atom('return_errors'), atom('return_warnings'),
		...flags.map(flag => atom(flag)),
		...features.map(feature => tuple(atom('feature'), atom(feature), atom('enable'))),
		...includeDirs.map(dir => tuple(atom('i'), dir)),
	];
}

/**
 * ext_mod's app_dir/1: `code:lib_dir(App)`, else the directory above
 * `code:which(App)` (Debian 12 installs xmpp as `p1_xmpp-1.6.1`, which only
 * the second finds); the include directory below it, as the node names it.
 */
async function findApplication(call: RemoteCall, name: string, signal?: AbortSignal): Promise<NodeApplication> {
	const libDir = readCharlist(await call('code', 'lib_dir', [atom(name)], signal));
	if (libDir?.startsWith('/') === true) {
		return {name, includeDir: posix.join(libDir, 'include'), named: true};
	}
	const beam = readCharlist(await call('code', 'which', [atom(name)], signal));
	if (beam?.startsWith('/') === true) {
		return {name, includeDir: posix.join(posix.dirname(posix.dirname(beam)), 'include'), named: false};
	}
	return {name, includeDir: undefined, named: false};
}

async function diagnosticOf(call: RemoteCall, paths: PathMap, info: ErrorInfo, severity: 'error' | 'warning', signal?: AbortSignal): Promise<NodeDiagnostic> {
	return {
		file: paths.toLocal(info.file),
		...(info.line === undefined ? {} : {line: info.line}),
		...(info.column === undefined ? {} : {column: info.column}),
		severity,
		message: await formatMessage(call, info, signal),
		reporter: info.reporter,
		...(info.cause === undefined ? {} : {cause: info.cause}),
	};
}

/** `Reporter:format_error(Descriptor)` on the node; the descriptor in Erlang syntax when the reporter is not one to ask, or its answer is no text. */
async function formatMessage(call: RemoteCall, info: ErrorInfo, signal?: AbortSignal): Promise<string> {
	if ((MESSAGE_FORMATTERS as readonly string[]).includes(info.reporter)) {
		try {
			const text = readChardata(await call(info.reporter, 'format_error', [info.descriptor], signal), MAX_MESSAGE_CHARS);
			if (text !== undefined && text !== '') {
				return text;
			}
		} catch (error) {
			// A node gone fails the compile; a formatter that crashed (or is absent from this OTP) leaves the descriptor.
			if (error instanceof ReloaderError && error.retryable) {
				throw error;
			}
		}
	}
	return `${info.reporter}: ${formatTerm(info.descriptor, MAX_MESSAGE_CHARS)}`;
}

/** What the node is sent is built from fixed names only: every application name and option is checked, and the source must be absolute. */
function checkRequest(request: NodeCompileRequest): void {
	const bad = [
		...(posix.isAbsolute(request.source) ? [] : [`source ${JSON.stringify(request.source)} is not an absolute path`]),
		...request.applications.filter(name => !APPLICATION_NAME.test(name)).map(name => `application ${JSON.stringify(name)} is no application name`),
		...request.flags.filter(flag => !FLAGS.has(flag)).map(flag => `flag ${JSON.stringify(flag)} is unknown`),
		...request.features.filter(feature => !FEATURES.has(feature)).map(feature => `feature ${JSON.stringify(feature)} is unknown`),
	];
	if (bad.length > 0) {
		throw new ReloaderError('ERR_COMPILE_SETUP', `Refusing to compile on the node: ${bad.join('; ')}`, {
			hint: 'The request comes from the daemon\'s own compile options: this is a bug, please report it.',
		});
	}
}
