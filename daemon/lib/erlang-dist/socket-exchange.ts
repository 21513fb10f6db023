import {connect} from 'node:net';

export interface ExchangeOptions {
	readonly host: string;
	readonly port: number;
	readonly request: Buffer;
	/** The answer's full length once the bytes so far tell it, else undefined. */
	readonly complete: (bytes: Buffer) => number | undefined;
	readonly signal: AbortSignal;
	/** Stop reading past this many bytes: a peer that is not who we think must not fill memory. */
	readonly maxBytes?: number;
}

/**
 * One request, one answer, on a fresh TCP connection (EPMD's way). Resolves
 * with what was received when the answer is complete or the peer closes;
 * rejects with the socket's error, or the signal's reason when aborted.
 */
export function exchangeOnce(options: ExchangeOptions): Promise<Buffer> {
	const {host, port, request, complete, signal, maxBytes = 64 * 1024} = options;
	return new Promise((resolve, reject) => {
		if (signal.aborted) {
			reject(signal.reason);
			return;
		}
		const chunks: Buffer[] = [];
		let received = 0;
		const socket = connect({host, port});
		const finish = (error: unknown, answer?: Buffer): void => {
			signal.removeEventListener('abort', onAbort);
			socket.destroy();
			if (answer === undefined) {
				reject(error);
			} else {
				resolve(answer);
			}
		};
		const onAbort = (): void => finish(signal.reason);
		signal.addEventListener('abort', onAbort, {once: true});
		socket.once('connect', () => socket.write(request));
		socket.on('data', (chunk: Buffer) => {
			chunks.push(chunk);
			received += chunk.byteLength;
			const bytes = Buffer.concat(chunks, received);
			const length = complete(bytes);
			if ((length !== undefined && received >= length) || received >= maxBytes) {
				finish(undefined, bytes);
			}
		});
		socket.once('end', () => finish(undefined, Buffer.concat(chunks, received)));
		socket.once('error', error => finish(error));
	});
}
