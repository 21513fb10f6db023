import type {Socket} from 'node:net';
import {ApiError} from './api-error.ts';

/** A refused connection that sends no request within this time is closed without an answer. */
const REFUSED_IDLE_MS = 2000;

/**
 * Bound the descriptors the API holds. The first `max` open connections are
 * served; a connection past that is still read, so that its request gets a
 * 503 with Retry-After and is closed (an answer, not a silent drop), but at
 * most `max` such refusals are pending at once: past that too, a connection
 * is closed at once. The API thus never holds more than 2 × max sockets,
 * whatever the flood, and the watcher keeps its descriptors.
 */
export class ConnectionLimit {
	readonly #max: number;
	readonly #refused = new WeakSet<Socket>();
	#served = 0;
	#refusing = 0;

	constructor(max: number) {
		this.#max = max;
	}

	get served(): number {
		return this.#served;
	}

	/** For the server's `connection` event. */
	admit(socket: Socket): void {
		if (this.#served < this.#max) {
			this.#served++;
			socket.once('close', () => this.#served--);
			return;
		}
		if (this.#refusing >= this.#max) {
			socket.destroy();
			return;
		}
		this.#refusing++;
		this.#refused.add(socket);
		socket.once('close', () => this.#refusing--);
		socket.setTimeout(REFUSED_IDLE_MS, () => socket.destroy());
	}

	/** Throws the 503 for a request on a connection past the limit. */
	check(socket: Socket): void {
		if (this.#refused.has(socket)) {
			throw busy(`The API serves at most ${this.#max} connections at once (api.maxConnections), and that many are open`, '2');
		}
	}
}

/** The 503 for a limit reached; the connection is closed so that it frees its descriptor. */
export function busy(message: string, retryAfterSeconds: string): ApiError {
	return new ApiError(503, 'ERR_API_BUSY', message, {
		hint: `Try again in ${retryAfterSeconds} s (Retry-After); if this is expected load, raise api.maxConnections or api.maxEventStreams.`,
		headers: {'Retry-After': retryAfterSeconds, Connection: 'close'},
	});
}
