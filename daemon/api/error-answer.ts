import {ReloaderError, errorMessage} from '../errors.ts';
import type {Answer} from './answer.ts';
import {ApiError, type ErrorBody} from './api-error.ts';

export const RETRY_HINT = 'The daemon keeps retrying the node with a backoff; try again once GET /healthz answers 200 (GET /events shows a `node` record with state `up`).';

/**
 * Turn whatever a route threw into an error answer with a stable code. The
 * daemon's own errors keep their code; their status says whose fault it was:
 * the request's (400, 404), the node's reachability (503), or the reload's (500).
 */
export function errorAnswer(error: unknown): Answer {
	if (error instanceof ApiError) {
		return {status: error.status, body: errorBody(error.code, error.message, error.hint), headers: error.headers};
	}
	if (error instanceof ReloaderError) {
		const status = statusOf(error);
		const hint = error.hint ?? (status === 503 ? RETRY_HINT : 'The daemon log has the batch\'s records; fix what they name and try again.');
		return {status, body: errorBody(error.code, error.message, hint), headers: status === 503 ? {'Retry-After': '5'} : {}};
	}
	return {
		status: 500,
		body: errorBody('ERR_API_INTERNAL', `Unexpected error while answering: ${errorMessage(error)}`, 'This is a bug in ejabberd-reloader; the daemon log has the details. Please report it.'),
	};
}

export function errorBody(code: ErrorBody['error']['code'], message: string, hint: string): ErrorBody {
	return {ok: false, error: {code, message, hint}};
}

function statusOf(error: ReloaderError): number {
	switch (error.code) {
		case 'ERR_MODULE_NAME': {
			return 400;
		}
		case 'ERR_MODULE_UNKNOWN':
		case 'ERR_NODE_UNKNOWN': {
			return 404;
		}
		default: {
			return error.retryable ? 503 : 500;
		}
	}
}
