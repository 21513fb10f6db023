import {ReloaderError} from '../../errors.ts';

export interface RemoteFunction {
	readonly module: string;
	readonly function: string;
	readonly arity: number;
}

const fn = (module: string, name: string, arity: number): RemoteFunction => Object.freeze({module, function: name, arity});

/**
 * Exactly what the daemon calls on the node. The cookie would allow anything;
 * this list keeps a bug or a crafted request from turning the daemon into a
 * remote shell.
 */
export const RELOADER_ALLOW_LIST: readonly RemoteFunction[] = Object.freeze([
	fn('code', 'ensure_loaded', 1),
	fn('code', 'is_loaded', 1),
	fn('code', 'which', 1),
	fn('code', 'load_file', 1),
	fn('code', 'get_mode', 0),
	fn('filename', 'dirname', 1),
	fn('ejabberd_update', 'update_info', 0),
	fn('ejabberd_update', 'update', 1),
	fn('beam_lib', 'md5', 1),
	fn('erlang', 'get_module_info', 2),
	fn('erlang', 'system_info', 1),
	// For verifying purges (a later feature).
	fn('code', 'soft_purge', 1),
	fn('code', 'purge', 1),
	fn('code', 'load_abs', 1),
	fn('erlang', 'check_old_code', 1),
	fn('erlang', 'check_process_code', 2),
	fn('erlang', 'processes', 0),
]);

const keyOf = (module: string, name: string, arity: number): string => `${module}:${name}/${arity}`;

/** The functions a client may call; anything else is refused before a byte is sent. */
export class AllowList {
	readonly #allowed: ReadonlySet<string>;

	constructor(functions: readonly RemoteFunction[]) {
		this.#allowed = new Set(functions.map(entry => keyOf(entry.module, entry.function, entry.arity)));
	}

	has(module: string, name: string, arity: number): boolean {
		return this.#allowed.has(keyOf(module, name, arity));
	}

	/** Throws ERR_DIST_FORBIDDEN unless `module:name/arity` is listed. */
	check(module: string, name: string, arity: number, node: string): void {
		if (!this.has(module, name, arity)) {
			throw new ReloaderError('ERR_DIST_FORBIDDEN', `Refusing to call ${keyOf(module, name, arity)} on ${node}: it is not in the client's allow-list`, {
				hint: 'The dist client only calls the functions it was built with (RELOADER_ALLOW_LIST); add one there only if the daemon needs it.',
			});
		}
	}
}
