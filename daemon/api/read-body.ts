import type {IncomingHttpHeaders} from 'node:http';
import type {Readable} from 'node:stream';
import {errorMessage} from '../errors.ts';
import {ApiError} from './api-error.ts';

/** Module lists are short; anything larger is a mistake or an attack. */
export const BODY_LIMIT_BYTES = 64 * 1024;

export interface BodySource extends Readable {
	readonly headers: IncomingHttpHeaders;
}

/**
 * Read a request body of at most `limitBytes`. A declared Content-Length over
 * the limit is refused before a byte is read; a body that grows past it
 * (chunked, or lying about its length) is refused as soon as it does, and the
 * rest is left unread. `beforeRead` runs once the body is wanted (to send
 * `100 Continue` to a client that waits for it).
 */
export function readBody(request: BodySource, limitBytes = BODY_LIMIT_BYTES, beforeRead?: () => void): Promise<Buffer> {
	const declared = request.headers['content-length'];
	if (declared !== undefined && Number(declared) > limitBytes) {
		return Promise.reject(tooLarge(limitBytes, `Content-Length is ${declared} bytes`));
	}
	return new Promise((resolve, reject) => {
		const chunks: Buffer[] = [];
		let size = 0;
		const cleanup = () => {
			request.off('data', onData);
			request.off('end', onEnd);
			request.off('error', onError);
			request.off('close', onClose);
		};
		const onData = (chunk: Buffer) => {
			size += chunk.length;
			if (size > limitBytes) {
				cleanup();
				// Stop reading; the answer closes the connection instead of draining the rest.
				request.pause();
				reject(tooLarge(limitBytes, `the body grew past ${limitBytes} bytes`));
				return;
			}
			chunks.push(chunk);
		};
		const onEnd = () => {
			cleanup();
			resolve(Buffer.concat(chunks, size));
		};
		const onError = (error: Error) => {
			cleanup();
			reject(new ApiError(400, 'ERR_API_BODY_READ', `Could not read the request body: ${errorMessage(error)}`, {hint: 'Send the whole body, then wait for the answer.'}));
		};
		const onClose = () => onError(new Error('the client closed the connection before the body ended'));
		request.on('data', onData);
		request.on('end', onEnd);
		request.on('error', onError);
		request.on('close', onClose);
		beforeRead?.();
	});
}

function tooLarge(limitBytes: number, what: string): ApiError {
	return new ApiError(413, 'ERR_API_BODY_TOO_LARGE', `The request body is too large: ${what}; the limit is ${limitBytes} bytes`, {
		hint: 'Send only a list of module names, e.g. ["mod_a","mod_b"]; to update everything that changed, use GET /update-modules/all.',
		// The unread rest of the body must not be taken for the next request.
		headers: {Connection: 'close'},
	});
}
