import {access, mkdtemp, realpath, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {delimiter, dirname, join} from 'node:path';
import {ReloaderError, errorMessage} from '../errors.ts';
import {compileWithErlc} from './erlc-compiler.ts';
import {prepareLibraryAliases} from './library-aliases.ts';
import type {CompileOutcome, CompileRequest, ModuleCompiler} from './source-compiler.ts';

export interface ErlcModuleCompilerOptions {
	/** The erlc to run: a path, or a name looked up on PATH. */
	readonly erlc: string;
	readonly warningsAsErrors: boolean;
	readonly timeoutMs: number;
	/** Where ejabberd's code is on this host (the directory of ejabberd.beam): `-behaviour(gen_mod)` and parse transforms resolve there. */
	readonly ejabberdEbin: () => string | undefined;
	/** The node's ejabberd release (`23.01`), or the installed package's: which ext_mod options apply. */
	readonly ejabberdVersion: () => string | undefined;
}

/** Where Debian installs Erlang's libraries, for an erlc whose own root cannot be told. */
const DEBIAN_LIB_ROOT = '/usr/lib/erlang/lib';

/**
 * The daemon's own erlc, with ejabberd's module_install options
 * (compile-options.ts). Runs on this host: the beams it writes are loaded by
 * a node that sees the same files (directly, or through `paths`). The
 * library aliases (`xmpp` → Debian's `p1_xmpp-1.6.1`) live in a private
 * directory made at the first compile and removed by close().
 */
export class ErlcModuleCompiler implements ModuleCompiler {
	readonly name: string;
	readonly #options: ErlcModuleCompilerOptions;
	#aliasDir: Promise<string> | undefined;

	constructor(options: ErlcModuleCompilerOptions) {
		this.#options = options;
		this.name = options.erlc === 'erlc' ? 'erlc' : `erlc (${options.erlc})`;
	}

	async compile(request: CompileRequest): Promise<CompileOutcome> {
		const {erlc, warningsAsErrors, timeoutMs} = this.#options;
		const ejabberdEbin = this.#options.ejabberdEbin();
		if (ejabberdEbin === undefined) {
			throw new ReloaderError('ERR_COMPILE_SETUP', `Cannot compile ${request.module}: no watched directory holds ejabberd.beam, so ejabberd's include files, gen_mod and its parse transforms cannot be found`, {
				hint: 'Watch ejabberd\'s ebin too (watch: auto does), or compile by hand.',
			});
		}
		const aliasDir = await (this.#aliasDir ??= this.#prepareAliases());
		const result = await compileWithErlc({
			source: request.source,
			includeDirs: request.includeDirs,
			env: {erlc, ejabberdVersion: this.#options.ejabberdVersion() ?? '', ejabberdEbin, ejabberdInclude: join(dirname(ejabberdEbin), 'include'), aliasDir, warningsAsErrors},
			timeoutMs,
			signal: request.signal,
		});
		return result.ok ? {ok: true, beam: result.beam, diagnostics: result.diagnostics} : {ok: false, diagnostics: result.diagnostics};
	}

	async close(): Promise<void> {
		const aliasDir = await this.#aliasDir?.catch(() => undefined);
		if (aliasDir !== undefined) {
			await rm(aliasDir, {recursive: true, force: true});
		}
	}

	async #prepareAliases(): Promise<string> {
		const aliasDir = await mkdtemp(join(tmpdir(), 'ejabberd-reloader-libs-')).catch((error: unknown) => {
			throw new ReloaderError('ERR_COMPILE_SETUP', `Cannot make a directory for the library aliases under ${tmpdir()}: ${errorMessage(error)}`, {retryable: true, hint: 'Check that TMPDIR exists and is writable.'});
		});
		await prepareLibraryAliases(await libRootOf(this.#options.erlc), aliasDir);
		return aliasDir;
	}
}

/**
 * The libraries of the Erlang that erlc belongs to: Debian's `/usr/bin/erlc`
 * links to `/usr/lib/erlang/bin/erlc`, whose root holds `lib/`. ejabberd's
 * libraries (p1_xmpp, ...) are installed there too.
 */
async function libRootOf(erlc: string): Promise<string> {
	const found = erlc.includes('/') ? erlc : await findOnPath(erlc);
	if (found !== undefined) {
		const root = dirname(dirname(await realpath(found).catch(() => found)));
		const libRoot = join(root, 'lib');
		if (await access(libRoot).then(() => true, () => false)) {
			return libRoot;
		}
	}
	return DEBIAN_LIB_ROOT;
}

async function findOnPath(name: string): Promise<string | undefined> {
	for (const directory of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
		const candidate = join(directory, name);
		if (await access(candidate).then(() => true, () => false)) {
			return candidate;
		}
	}
	return undefined;
}
