import {DistError} from './dist-error.ts';

/** One function a client may call on the node, `module:function/arity`. */
export interface RemoteFunction {
	readonly module: string;
	readonly function: string;
	readonly arity: number;
}

/** Build a frozen entry for an allow-list. */
export const remoteFunction = (module: string, name: string, arity: number): RemoteFunction => Object.freeze({module, function: name, arity});

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
			throw new DistError('ERR_DIST_FORBIDDEN', `Refusing to call ${keyOf(module, name, arity)} on ${node}: it is not in the client's allow-list`, {
				hint: 'The client only calls the functions in the allow-list it was built with; add one there only if the application needs it.',
			});
		}
	}
}
