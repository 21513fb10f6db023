import {ReloaderError, errorMessage} from '../../errors.ts';

/** Codes that mean nothing answers, or the connection broke: the node may come back. */
const NODE_DOWN = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ETIMEDOUT', 'EAI_AGAIN', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);
/** undici's own limits, which may fire before ours. */
const TIMED_OUT = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);

export interface FailedRequest {
	readonly url: string;
	readonly timeoutMs: number;
	/** Our own limit fired (AbortSignal.timeout), as opposed to the caller's signal. */
	readonly timedOut: boolean;
}

/**
 * Map a fetch failure (before any status arrived, or while reading the body)
 * to a ReloaderError. fetch wraps the socket's error as `TypeError: fetch
 * failed` with the errno in `cause`, sometimes inside an AggregateError (one
 * per address tried), so the whole cause tree is searched.
 */
export function toRequestError(error: unknown, request: FailedRequest): ReloaderError {
	const codes = errorCodes(error);
	if (request.timedOut || codes.some(code => TIMED_OUT.has(code))) {
		return new ReloaderError('ERR_NODE_TIMEOUT', `${request.url} did not answer within ${request.timeoutMs} ms`, {
			cause: error,
			retryable: true,
			hint: 'The node may be overloaded, or an update of many modules may take long; raise http.timeoutMs if this persists.',
		});
	}
	const down = codes.find(code => NODE_DOWN.has(code)) ?? (/socket hang up|other side closed/i.test(causeMessages(error)) ? 'socket hang up' : undefined);
	if (down !== undefined) {
		return new ReloaderError('ERR_NODE_DOWN', `Cannot reach ejabberd's API at ${request.url} (${down}): ${causeMessages(error)}`, {
			cause: error,
			retryable: true,
			hint: 'Is ejabberd running, with an ejabberd_http listener on this port and `request_handlers: {/api: mod_http_api}`? See config/ejabberd-http-api.yml.',
		});
	}
	return new ReloaderError('ERR_HTTP', `Request to ${request.url} failed: ${causeMessages(error)}`, {
		cause: error,
		hint: codes.includes('ENOTFOUND')
			? 'The host of http.url does not resolve; use 127.0.0.1 or the node\'s address.'
			: 'Check http.url (scheme, host, port); for https, the node\'s certificate must be trusted by Node.js.',
	});
}

function errorCodes(error: unknown, depth = 0): string[] {
	if (typeof error !== 'object' || error === null || depth > 5) {
		return [];
	}
	const own = 'code' in error && typeof error.code === 'string' ? [error.code] : [];
	const nested = error instanceof AggregateError ? error.errors.flatMap(inner => errorCodes(inner, depth + 1)) : [];
	const cause = error instanceof Error ? errorCodes(error.cause, depth + 1) : [];
	return [...own, ...cause, ...nested];
}

/** `connect ECONNREFUSED 127.0.0.1:5280`: fetch's own `fetch failed` says nothing, its causes do. */
function causeMessages(error: unknown): string {
	const messages: string[] = [];
	let current: unknown = error;
	for (let depth = 0; current !== undefined && current !== null && depth < 5; depth++) {
		const message = errorMessage(current);
		if (message !== '' && message !== 'fetch failed' && !messages.includes(message)) {
			messages.push(message);
		}
		current = current instanceof Error ? current.cause : undefined;
	}
	return messages.join(': ');
}
