import {mkdtemp, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {basename, extname, join, resolve} from 'node:path';
import {performance} from 'node:perf_hooks';
import {judgeBeamContent} from '../beam/beam-snapshot.ts';
import {boundedFileReader, DEFAULT_BEAM_READ_TIMEOUT_MS, DEFAULT_MAX_BEAM_BYTES} from '../beam/read-file-once.ts';
import {ReloaderError, errorMessage, quoteUntrusted} from '../errors.ts';
import {DEFAULT_DIAGNOSTIC_LIMITS, describeOmitted, parseCompilerOutput, type CompileDiagnostic, type DiagnosticLimits, type ParsedCompilerOutput} from './compile-diagnostics.ts';
import {buildErlcCommand, erlcEnvironment, type CompileEnvironment} from './compile-options.ts';
import {runErlc, type ErlcExit} from './run-erlc.ts';

export interface ErlcCompileOptions {
	/** The `.erl` to compile. */
	readonly source: string;
	readonly env: CompileEnvironment;
	/** The module's own include directories, searched before ejabberd's (see CompileTarget). */
	readonly includeDirs?: readonly string[];
	/** ext_mod's LibDir, the folder holding the module's `src/` (see CompileTarget). */
	readonly moduleDir?: string;
	readonly timeoutMs: number;
	readonly signal?: AbortSignal;
	/** A beam larger than this is refused. Default 64 MiB, as for beams in an ebin. */
	readonly maxBeamBytes?: number;
	/** erlc's output kept for diagnostics. Default 1 MiB. */
	readonly maxOutputBytes?: number;
	readonly limits?: DiagnosticLimits;
}

export type CompileResult =
	| {readonly ok: true; readonly module: string; readonly beam: Buffer; readonly diagnostics: readonly CompileDiagnostic[]; readonly durationMs: number}
	| {readonly ok: false; readonly diagnostics: readonly CompileDiagnostic[]; readonly durationMs: number};

const DEFAULT_MAX_OUTPUT_BYTES = 1024 * 1024;

/**
 * Compile one module with erlc as ejabberd's module_install would
 * (compile-options.ts), into a private temporary directory that is removed
 * whatever happens, and return the beam's bytes: the caller decides where
 * they go. Never into the ebin itself: erlc deletes the module's old beam
 * from its output directory when a compile fails (seen on OTP 25), and the
 * node would lose its last good one at the next restart. A module that does not compile is a result (`ok: false` and its
 * diagnostics), not an error; errors are for what stopped the compile
 * itself: no erlc (ERR_COMPILER_MISSING), a timeout (ERR_COMPILE_TIMEOUT),
 * no temporary directory (ERR_COMPILE_SETUP), an abort (the signal's reason).
 */
export async function compileWithErlc(options: ErlcCompileOptions): Promise<CompileResult> {
	const started = performance.now();
	const sourceFile = resolve(options.source);
	const outDir = await makeTempDir();
	try {
		const command = buildErlcCommand(options.env, {
			sourceFile,
			outDir,
			includeDirs: options.includeDirs?.map(dir => resolve(dir)),
			moduleDir: options.moduleDir === undefined ? undefined : resolve(options.moduleDir),
		});
		const exit = await runErlc({
			command: command.command,
			args: command.args,
			env: erlcEnvironment(process.env, command),
			// Its own directory: `.` is on erlc's include path, and a VM that dies writes there.
			cwd: outDir,
			sourceFile,
			timeoutMs: options.timeoutMs,
			signal: options.signal,
			maxOutputBytes: options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES,
		});
		const parsed = parseCompilerOutput(exit.output, options.limits ?? DEFAULT_DIAGNOSTIC_LIMITS);
		const diagnostics = [...parsed.diagnostics, ...summaryOf(sourceFile, parsed, exit)];
		if (exit.exitCode !== 0) {
			const failed = diagnostics.some(diagnostic => diagnostic.severity === 'error') ? diagnostics : [...diagnostics, exitDiagnostic(sourceFile, parsed, exit)];
			return {ok: false, diagnostics: failed, durationMs: elapsedSince(started)};
		}
		const beamPath = join(outDir, `${basename(sourceFile, extname(sourceFile))}.beam`);
		const beam = await readBeam(beamPath, options.maxBeamBytes ?? DEFAULT_MAX_BEAM_BYTES);
		if (beam === undefined) {
			return {ok: false, diagnostics: [...diagnostics, {file: sourceFile, severity: 'error', message: `erlc exited with 0 but wrote no ${basename(beamPath)}`}], durationMs: elapsedSince(started)};
		}
		return {ok: true, module: beam.module, beam: beam.bytes, diagnostics, durationMs: elapsedSince(started)};
	} finally {
		await rm(outDir, {recursive: true, force: true}).catch(() => undefined);
	}
}

async function makeTempDir(): Promise<string> {
	const parent = tmpdir();
	try {
		return await mkdtemp(join(parent, 'ejabberd-reloader-erlc-'));
	} catch (error) {
		throw new ReloaderError('ERR_COMPILE_SETUP', `Cannot make a temporary directory for erlc in ${quoteUntrusted(parent, 300)}: ${errorMessage(error)}`, {
			cause: error,
			retryable: true,
			hint: 'erlc writes each beam into a directory of its own under TMPDIR: check that it exists, is writable and has space.',
		});
	}
}

/** The beam erlc wrote and its module, or undefined if there is none; read bounded and judged like any beam the daemon reads. */
async function readBeam(path: string, maxBytes: number): Promise<{module: string; bytes: Buffer} | undefined> {
	const content = await boundedFileReader({maxBytes, timeoutMs: DEFAULT_BEAM_READ_TIMEOUT_MS})(path);
	if (content === undefined) {
		return undefined;
	}
	const verdict = judgeBeamContent(path, content);
	if (verdict.state !== 'complete') {
		const why = verdict.state === 'invalid' ? verdict.reason : verdict.state === 'incomplete' ? `${verdict.actualSize} of the ${verdict.expectedSize} bytes its header declares` : 'gone as it was read';
		throw new ReloaderError('ERR_BEAM_INVALID', `erlc exited normally but wrote a bad beam ${quoteUntrusted(path, 300)}: ${why}`, {
			hint: 'Compile the module by hand with the same erlc to see what it writes; the disk may be full.',
		});
	}
	return {module: verdict.snapshot.module, bytes: content.bytes};
}

/** One more diagnostic when some were left out or the output was cut, so whoever reads them knows there is more. */
function summaryOf(sourceFile: string, parsed: ParsedCompilerOutput, exit: ErlcExit): CompileDiagnostic[] {
	const omitted = describeOmitted(parsed.omitted);
	const cut = exit.droppedBytes > 0 ? `erlc printed ${exit.droppedBytes} bytes more than the ${Buffer.byteLength(exit.output)} read` : undefined;
	const parts = [omitted, cut].filter(part => part !== undefined);
	if (parts.length === 0) {
		return [];
	}
	return [{file: sourceFile, severity: parsed.omitted.errors > 0 ? 'error' : 'warning', message: parts.join('; ')}];
}

/** erlc failed and said nothing that reads as an error (a VM that did not boot, a crash): its exit and what it printed. */
function exitDiagnostic(sourceFile: string, parsed: ParsedCompilerOutput, exit: ErlcExit): CompileDiagnostic {
	const how = exit.exitCode === null ? `was ended by ${exit.exitSignal ?? 'a signal'}` : `exited with code ${exit.exitCode}`;
	const said = parsed.otherLines.length === 0 ? '' : `: ${parsed.otherLines.join(' | ')}`;
	return {file: sourceFile, severity: 'error', message: `erlc ${how}${said}`};
}

function elapsedSince(started: number): number {
	return Math.round(performance.now() - started);
}
