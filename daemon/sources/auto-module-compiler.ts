import type {CompileOutcome, CompileRequest, ModuleCompiler} from './source-compiler.ts';

/** The node's compiler, as far as the fallback needs it (NodeModuleCompiler). */
export interface NodeCompiler extends ModuleCompiler {
	/** Why it cannot serve this daemon, once a compile showed it; undefined until then. */
	readonly cannotServe: string | undefined;
}

/**
 * `compile.compiler: auto` over dist: the node's own compiler (no VM per
 * module, the node's OTP and paths), unless it cannot serve this host's
 * sources: the node has ejabberd's libraries only under names
 * `-include_lib` cannot use (Debian 12 installs `xmpp` as `p1_xmpp-1.6.1`,
 * so a stock node fails every module that includes `xmpp.hrl`), or its user
 * may not read them (a developer's home directory). The first compile that
 * meets this is compiled again by this host's erlc, which links the
 * libraries under their names and reads as the daemon, and erlc compiles
 * from then on; `onFallback` says so once.
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
		const reason = this.#node.cannotServe;
		if (outcome.ok || reason === undefined) {
			return outcome;
		}
		this.#current = this.#erlc;
		this.#onFallback(`compile.compiler auto: compiling with this host's ${this.#erlc.name} from now on: ${reason}`);
		return this.#erlc.compile(request);
	}

	async close(): Promise<void> {
		await Promise.all([this.#node.close(), this.#erlc.close()]);
	}
}
