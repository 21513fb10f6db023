import type {ApiRequest} from './api-request.ts';
import type {ApiAnswer} from './api-response.ts';
import {toRequestError} from './request-error.ts';

export interface PostOptions {
	readonly timeoutMs: number;
	readonly signal?: AbortSignal | undefined;
}

/**
 * Send one request and read the whole body under one limit. The caller's
 * abort is passed through untouched (the daemon stops, nothing failed);
 * everything else becomes a ReloaderError that names the URL and never the
 * request's headers.
 */
export async function postApi(request: ApiRequest, options: PostOptions): Promise<ApiAnswer> {
	options.signal?.throwIfAborted();
	const timeout = AbortSignal.timeout(options.timeoutMs);
	const signal = options.signal === undefined ? timeout : AbortSignal.any([timeout, options.signal]);
	try {
		const response = await fetch(request.url, {
			method: request.method,
			headers: request.headers,
			body: request.body,
			signal,
			// Following a 301/302 would resend the POST as a GET; report it instead.
			redirect: 'manual',
		});
		const body = await response.text();
		return {status: response.status, body, location: response.headers.get('location') ?? undefined};
	} catch (error) {
		if (options.signal?.aborted === true) {
			throw error;
		}
		throw toRequestError(error, {url: request.url, timeoutMs: options.timeoutMs, timedOut: timeout.aborted});
	}
}
