/**
 * Every error the daemon raises on purpose carries a stable `code` (tests and
 * callers branch on it, never on the message), says whether trying again later
 * can help, and writes its message as: what failed, with which value, what to do.
 */
export type ErrorCode =
	| 'ERR_CONFIG_INVALID'
	| 'ERR_CONFIG_READ'
	| 'ERR_BEAM_INCOMPLETE'
	| 'ERR_BEAM_INVALID'
	| 'ERR_BEAM_UNREADABLE'
	| 'ERR_MODULE_NAME'
	| 'ERR_MODULE_UNKNOWN'
	| 'ERR_NODE_DOWN'
	| 'ERR_NODE_UNKNOWN'
	| 'ERR_CLUSTER_LAG'
	| 'ERR_NODE_TIMEOUT'
	| 'ERR_NODE_BUSY'
	| 'ERR_NODE_COMMAND'
	| 'ERR_UPDATER_INIT'
	| 'ERR_EJABBERD_MISSING'
	| 'ERR_SANDBOX'
	| 'ERR_COMPILE'
	| 'ERR_SOURCE_UNREADABLE'
	| 'ERR_COMPILER_MISSING'
	| 'ERR_COMPILE_TIMEOUT'
	| 'ERR_COMPILE_SETUP'
	| 'ERR_WATCH'
	| 'ERR_ETF_DECODE'
	| 'ERR_ETF_ENCODE'
	| 'ERR_ETF_LIMIT'
	| 'ERR_COOKIE'
	| 'ERR_DIST_HANDSHAKE'
	| 'ERR_DIST_PROTOCOL'
	| 'ERR_DIST_LIMIT'
	| 'ERR_DIST_FORBIDDEN'
	| 'ERR_HTTP'
	| 'ERR_API';

export interface ReloaderErrorOptions {
	readonly cause?: unknown;
	/** True when the same operation may succeed later (node down, timeout). */
	readonly retryable?: boolean;
	/** What the user can do about it; logged beside the message. */
	readonly hint?: string;
}

export class ReloaderError extends Error {
	readonly code: ErrorCode;
	readonly retryable: boolean;
	readonly hint: string | undefined;

	constructor(code: ErrorCode, message: string, options: ReloaderErrorOptions = {}) {
		super(message, {cause: options.cause});
		this.name = 'ReloaderError';
		this.code = code;
		this.retryable = options.retryable ?? false;
		this.hint = options.hint;
	}
}

export function isRetryable(error: unknown): boolean {
	return error instanceof ReloaderError && error.retryable;
}

/**
 * Quote a value and its type for an error message: `-5` (number). The app's
 * one copy, with errorMessage below; the libraries under daemon/lib/ import
 * nothing from the app and keep their own (erlang-term, erlang-dist).
 */
export function describeValue(value: unknown): string {
	const type = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
	let shown: string;
	try {
		shown = JSON.stringify(value) ?? String(value);
	} catch {
		shown = String(value);
	}
	if (shown.length > 80) {
		shown = `${shown.slice(0, 77)}...`;
	}
	return `\`${shown}\` (${type})`;
}

/** What an error says: its message, or the thrown value itself when it is no Error. */
export function errorMessage(error: unknown): string {
	return error instanceof Error ? error.message : String(error);
}

/**
 * Bytes from files and peers reach messages only through these: control and
 * unprintable characters escaped, long input summarised. They live in
 * daemon/lib/ so the libraries there (the distribution client) can use them too.
 */
export {describeBytes, escapeUntrusted, quoteUntrusted} from './lib/untrusted-text/index.ts';
