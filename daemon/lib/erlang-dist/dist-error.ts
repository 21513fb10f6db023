/**
 * The only error this client throws on purpose. `code` is stable (callers and
 * tests branch on it, never on the message); `retryable` is true when the same
 * call may succeed later (the node is down or restarting, a timeout); `hint`
 * says what to check. The client is a library of its own: an application
 * adapts this error to its own types at its boundary.
 *
 * - ERR_DIST_NODE_DOWN: no connection (EPMD or the node unreachable, the
 *   connection ended); retryable, except after close().
 * - ERR_DIST_TIMEOUT: a connect or a call took longer than allowed; retryable.
 * - ERR_DIST_HANDSHAKE: the node refused us, or we refused it (cookie).
 * - ERR_DIST_PROTOCOL: bytes that do not follow the protocol.
 * - ERR_DIST_LIMIT: the node sent more than the client accepts (a packet
 *   over maxFrameBytes, a message decoding to more than maxMessageTerms terms
 *   or inflating past maxInflatedBytes); the connection is closed.
 * - ERR_DIST_FORBIDDEN: a call outside the client's allow-list; nothing sent.
 * - ERR_DIST_OPTIONS: invalid client or call options.
 */
export type DistErrorCode =
	| 'ERR_DIST_NODE_DOWN'
	| 'ERR_DIST_TIMEOUT'
	| 'ERR_DIST_HANDSHAKE'
	| 'ERR_DIST_PROTOCOL'
	| 'ERR_DIST_LIMIT'
	| 'ERR_DIST_FORBIDDEN'
	| 'ERR_DIST_OPTIONS';

export interface DistErrorOptions {
	readonly cause?: unknown;
	readonly retryable?: boolean;
	readonly hint?: string | undefined;
}

export class DistError extends Error {
	readonly code: DistErrorCode;
	readonly retryable: boolean;
	readonly hint: string | undefined;

	constructor(code: DistErrorCode, message: string, options: DistErrorOptions = {}) {
		super(message, {cause: options.cause});
		this.name = 'DistError';
		this.code = code;
		this.retryable = options.retryable ?? false;
		this.hint = options.hint;
	}
}

/** Quote a value and its type for an error message: `-5` (number). */
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

export function errorMessage(error: unknown): string {
	return error instanceof Error ? error.message : String(error);
}
