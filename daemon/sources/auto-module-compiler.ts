import type {CompileOutcome, CompileRequest, ModuleCompiler} from './source-compiler.ts';

/** The node's compiler, as far as the fallback needs it (NodeModuleCompiler). */
export interface NodeCompiler extends ModuleCompiler {
	/** A library a compile needed that the node has only under another name; undefined until one did. */
	readonly unnamedLibrary: string | undefined;
}

/**
 * `compile.compiler: auto` over dist: the node's own compiler (no VM per
 * module, the node's OTP and paths), unless the node has ejabberd's
 * libraries only under names `-include_lib` cannot use: Debian 12 installs
 * `xmpp` as `p1_xmpp-1.6.1`, so a stock node fails every module that
 * includes `xmpp.hrl`. The first compile that meets this is compiled again
 * by this host's erlc, which links the libraries under their names, and erlc
 * compiles from then on; `onFallback` says so once.
 */
export class AutoModuleCompiler implements ModuleCompiler {
	readonly #node: NodeCompiler;
	readonly #erlc: ModuleCompiler;
	readonly #onFallback: (message: string) => void;
	#current: ModuleCompiler;

	constructor(node: NodeCompiler, erlc: ModuleCompiler, onFallback: (message: string) => void) {
		this.#node = node;
		this.#erlc = erlc;
		this.#onFallback = onFallback;
		this.#current = node;
	}

	get name(): string {
		return this.#current.name;
	}

	async compile(request: CompileRequest): Promise<CompileOutcome> {
		if (this.#current === this.#erlc) {
			return this.#erlc.compile(request);
		}
		const outcome = await this.#node.compile(request);
		const library = this.#node.unnamedLibrary;
		if (outcome.ok || library === undefined) {
			return outcome;
		}
		this.#current = this.#erlc;
		this.#onFallback(`compile.compiler auto: ${this.#node.name} has ${library} only under another name (Debian 12 installs ejabberd's libraries as p1_*), so -include_lib("${library}/...") cannot resolve there; compiling with this host's ${this.#erlc.name} from now on (it links the libraries under their names). To keep the node's compiler, put a directory named ${library} on the node's code path (-pz in ERL_OPTIONS).`);
		return this.#erlc.compile(request);
	}

	async close(): Promise<void> {
		await Promise.all([this.#node.close(), this.#erlc.close()]);
	}
}
