import type {Socket} from 'node:net';
import {ApiError} from './api-error.ts';

/** A refused connection that sends no request within this time is closed without an answer. */
const REFUSED_IDLE_MS = 2000;

/**
 * Probes: cheap reads of the daemon's state in memory, answered at once. A
 * supervisor or load balancer relies on them during exactly the floods that
 * fill api.maxConnections, so they are answered on a connection past the
 * limit too (see ConnectionLimit.check).
 */
const PROBES: ReadonlySet<string> = new Set(['GET /healthz', 'GET /status']);

export function isProbe(method: string, path: string): boolean {
	return PROBES.has(`${method} ${path}`);
}

/**
 * Bound the descriptors the API holds. The first `max` open connections are
 * served; a connection past that is still read, so that its request gets an
 * answer (not a silent drop) and is closed, but at most `max` such refused
 * connections are pending at once: past that too, a connection is closed at
 * once. The API thus never holds more than 2 × max sockets, whatever the
 * flood, and the watcher keeps its descriptors. On a refused connection, a
 * probe (GET /healthz, GET /status) is answered as usual, anything else 503
 * ERR_API_BUSY with Retry-After: the refused connections are the reserve
 * probes use, like the slots a database keeps for its administrator.
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

	/** Whether `socket` is past the limit: whatever it is answered, it is closed afterwards. */
	refuses(socket: Socket): boolean {
		return this.#refused.has(socket);
	}

	/** Throws the 503 for a request on a connection past the limit, unless it is a probe. */
	check(socket: Socket, probe: boolean): void {
		if (this.#refused.has(socket) && !probe) {
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
