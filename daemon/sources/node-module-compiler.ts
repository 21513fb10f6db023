import {basename, dirname, extname} from 'node:path';
import {judgeBeamContent} from '../beam/beam-snapshot.ts';
import {ReloaderError, quoteUntrusted} from '../errors.ts';
import type {NodeCompileResult, NodeDiagnostic} from '../transports/node-compile.ts';
import type {Transport} from '../transports/transport.ts';
import {DEFAULT_DIAGNOSTIC_LIMITS, describeOmitted, printable, type CompileDiagnostic, type DiagnosticLimits} from './compile-diagnostics.ts';
import {EXT_MOD_APPLICATIONS, extModCompileOptions} from './compile-options.ts';
import type {CompileOutcome, CompileRequest, ModuleCompiler} from './source-compiler.ts';

export interface NodeModuleCompilerOptions {
	/** The node's transport: dist (or a cluster, whose first member compiles). */
	readonly transport: Pick<Transport, 'node' | 'compileModule'>;
	readonly warningsAsErrors: boolean;
	/** Limit for one module's compile:file. */
	readonly timeoutMs: number;
	/** A larger beam is refused, as from an ebin (`maxBeamBytes`). */
	readonly maxBeamBytes: number;
	/** The node's ejabberd release as the init step read it: which ext_mod options apply. */
	readonly ejabberdVersion: () => string | undefined;
	readonly limits?: DiagnosticLimits;
}

/**
 * The node's own compiler: each module compiled by `compile:file` inside the
 * node, with ext_mod's options for the node's release (compile-options.ts)
 * and ejabberd's include directories where the node has them; the beam comes
 * back over the connection and is written here like erlc's. No VM boots per
 * module, and the node's OTP compiles for itself: a node in a container or a
 * chroot with a newer OTP than this host's is served as well as a local one.
 * It holds nothing of its own, so close() has nothing to do.
 */
export class NodeModuleCompiler implements ModuleCompiler {
	readonly name: string;
	readonly #options: NodeModuleCompilerOptions;
	readonly #limits: DiagnosticLimits;
	#cannotServe: string | undefined;

	constructor(options: NodeModuleCompilerOptions) {
		this.#options = options;
		this.#limits = options.limits ?? DEFAULT_DIAGNOSTIC_LIMITS;
		this.name = `node's compiler (${options.transport.node})`;
	}

	async compile(request: CompileRequest): Promise<CompileOutcome> {
		const {transport, warningsAsErrors, timeoutMs, maxBeamBytes} = this.#options;
		const ejabberdVersion = this.#options.ejabberdVersion();
		if (ejabberdVersion === undefined) {
			throw new ReloaderError('ERR_COMPILE_SETUP', `Cannot compile ${request.module} on ${transport.node} yet: the node's ejabberd release, which decides ext_mod's options, is not known until the node has been reached`, {
				retryable: true,
				hint: 'Save again once the daemon has reached the node (its init record).',
			});
		}
		const options = extModCompileOptions({ejabberdVersion, includeDirs: request.includeDirs, warningsAsErrors});
		let result: NodeCompileResult;
		try {
			result = await transport.compileModule({...options, source: request.source, timeoutMs, maxDiagnostics: this.#limits.maxDiagnostics, maxBeamBytes}, request.signal);
		} catch (error) {
			throw explainFailure(error, request.source, transport.node, timeoutMs);
		}
		this.#cannotServe ??= cannotServeOf(result, transport.node);
		const diagnostics = [
			...result.diagnostics.map(diagnostic => this.#diagnosticOf(diagnostic, request.source, result)),
			...this.#omittedOf(request.source, result),
		];
		if (result.beam === undefined) {
			return {ok: false, diagnostics: diagnostics.some(({severity}) => severity === 'error') ? diagnostics : [...diagnostics, {file: request.source, severity: 'error', message: `compile:file on ${transport.node} failed without saying why`}]};
		}
		const problem = beamProblem(request, result.module, result.beam);
		return problem === undefined ? {ok: true, beam: result.beam, diagnostics} : {ok: false, diagnostics: [...diagnostics, {file: request.source, severity: 'error', message: problem}]};
	}

	/**
	 * Why the node's compiler cannot serve this daemon, once a compile showed
	 * it (undefined until then): an ext_mod library (`xmpp`, ...) the node has
	 * only under another name (Debian 12's `p1_xmpp-1.6.1`), so that
	 * `-include_lib` cannot resolve it there; or sources the node's user may
	 * not read (a home directory of mode 0700). A source the node does not
	 * see at all is not such a reason: that is `paths` to fix (a container).
	 */
	get cannotServe(): string | undefined {
		return this.#cannotServe;
	}

	async close(): Promise<void> {
		// Nothing was made: compile:file runs in the node's memory.
	}

	#diagnosticOf(diagnostic: NodeDiagnostic, source: string, result: NodeCompileResult): CompileDiagnostic {
		const {maxLineLength} = this.#limits;
		const hint = hintOf(diagnostic, source, result);
		return {
			file: printable(diagnostic.file, maxLineLength),
			...(diagnostic.line === undefined ? {} : {line: diagnostic.line}),
			...(diagnostic.column === undefined ? {} : {column: diagnostic.column}),
			severity: diagnostic.severity,
			// One line, as erlc's are: format_error's own line breaks (a parse transform's stack) become spaces.
			message: printable(`${diagnostic.message.replace(/\s*\r?\n\s*/g, ' ').trim()}${hint === undefined ? '' : ` (${hint})`}`, maxLineLength),
		};
	}

	/** One more diagnostic when some were only counted, so whoever reads them knows there is more. */
	#omittedOf(source: string, result: NodeCompileResult): CompileDiagnostic[] {
		const omitted = describeOmitted(result.omitted);
		return omitted === undefined ? [] : [{file: source, severity: result.omitted.errors > 0 ? 'error' : 'warning', message: omitted}];
	}
}

/**
 * What to do about the two failures the source cannot fix: a source the node
 * cannot read where it looked, and an ext_mod library the node does not know
 * by the name `-include_lib` uses (Debian 12's `p1_xmpp-1.6.1` for `xmpp`).
 */
function hintOf(diagnostic: NodeDiagnostic, source: string, result: NodeCompileResult): string | undefined {
	const {cause} = diagnostic;
	if (cause?.kind === 'unreadable' && diagnostic.file === source) {
		const where = quoteUntrusted(result.nodeSource, 300);
		return cause.reason === 'enoent'
			? `the node looked for this source at ${where}: the node must see the sources directory, at the path \`paths\` maps it to (a container's volume, a chroot); or set compile.compiler: erlc`
			: `the node cannot read this source at ${where} (${cause.reason}): its user (ejabberd's) must be able to read the sources directory and every directory above it; or set compile.compiler: erlc`;
	}
	if (cause?.kind === 'includeLib') {
		const library = result.applications.find(({name}) => name === cause.application);
		if (library !== undefined && !library.named && library.includeDir !== undefined) {
			const libDir = dirname(library.includeDir);
			return `the node has ${cause.application} at ${quoteUntrusted(libDir, 300)}, a name -include_lib cannot use (Debian 12 installs ejabberd's libraries as p1_*): put a directory named ${cause.application}, linked to it, on the node's code path (e.g. \`-pz <dir>/${cause.application}/ebin\` in ERL_OPTIONS of ejabberdctl.cfg), or set compile.compiler: erlc, which makes such links itself`;
		}
		if (library === undefined && !(EXT_MOD_APPLICATIONS as readonly string[]).includes(cause.application)) {
			return `-include_lib resolves ${cause.application} on the node's code path (code:lib_dir(${cause.application})) or below an include directory`;
		}
	}
	return undefined;
}

/** What in this result says the node's compiler cannot serve (see cannotServe). */
function cannotServeOf(result: NodeCompileResult, node: string): string | undefined {
	for (const {cause} of result.diagnostics) {
		if (cause?.kind === 'includeLib' && result.applications.some(({name, named, includeDir}) => name === cause.application && !named && includeDir !== undefined)) {
			return `${node} has ${cause.application} only under another name (Debian 12 installs ejabberd's libraries as p1_*), so -include_lib("${cause.application}/...") cannot resolve there; to keep the node's compiler, put a directory named ${cause.application} on its code path (-pz in ERL_OPTIONS)`;
		}
		if (cause?.kind === 'unreadable' && cause.reason !== 'enoent') {
			return `${node}'s user cannot read ${quoteUntrusted(result.nodeSource, 300)} (${cause.reason}); to keep the node's compiler, let ejabberd's user read the sources and every directory above them`;
		}
	}
	return undefined;
}

/** A beam that cannot go into the ebin: another module than its file says, or bytes that are no complete beam. */
function beamProblem(request: CompileRequest, module: string | undefined, beam: Buffer): string | undefined {
	if (module !== request.module) {
		// compile:file in memory does not check this; erlc does, and ejabberd loads a module from the file of its name.
		return `Module name '${module ?? '?'}' does not match file name '${basename(request.source, extname(request.source))}'`;
	}
	const verdict = judgeBeamContent(request.source, {bytes: beam, mtimeMs: 0});
	if (verdict.state === 'complete') {
		return undefined;
	}
	const why = verdict.state === 'invalid' ? verdict.reason : verdict.state === 'incomplete' ? `${verdict.actualSize} of the ${verdict.expectedSize} bytes its header declares` : 'empty';
	return `compile:file answered with a beam that is not whole: ${why}`;
}

/** The compile's own failures as compile errors that say what to change; anything else (the node down, an abort) as it came. */
function explainFailure(error: unknown, source: string, node: string, timeoutMs: number): unknown {
	if (!(error instanceof ReloaderError)) {
		return error;
	}
	if (error.code === 'ERR_NODE_TIMEOUT') {
		return new ReloaderError('ERR_COMPILE_TIMEOUT', `compile:file of ${quoteUntrusted(source, 300)} on ${node} did not answer within ${timeoutMs} ms (the node may still be compiling it)`, {
			cause: error,
			retryable: true,
			hint: 'A parse transform may loop, or the node is overloaded; raise `compile.timeoutMs` if the module just takes long.',
		});
	}
	if (error.code === 'ERR_DIST_LIMIT' || error.code === 'ERR_ETF_LIMIT') {
		return new ReloaderError('ERR_COMPILE', `The answer of compile:file for ${quoteUntrusted(source, 300)} (the beam and its diagnostics) is more than this daemon accepts from ${node}: ${error.message}`, {
			cause: error,
			hint: 'Raise `dist.maxFrameBytes` for such a module, or set compile.compiler: erlc.',
		});
	}
	return error;
}
