import type {IncomingMessage, ServerResponse} from 'node:http';
import type {DaemonRecord} from '../records.ts';
import {busy} from './connection-limit.ts';

/** Where records come from (the RecordBus); returns the unsubscribe function. */
export interface RecordSource {
	subscribe(listener: (record: DaemonRecord) => void): () => void;
}

/** Sent first: how long an EventSource waits before it reconnects. */
export const SSE_RETRY = 'retry: 2000\n\n';
/** A comment line: keeps proxies and idle timeouts from closing a quiet stream. */
export const SSE_PING = ': ping\n\n';
export const PING_INTERVAL_MS = 15_000;
/** The default of api.maxEventStreams. */
export const MAX_EVENT_STREAMS = 32;
/** A client this far behind is not reading: drop it rather than buffer the daemon's records for it. */
const MAX_BUFFERED_BYTES = 1024 * 1024;

/** One record as one SSE event; records are one-line JSON, so `data:` needs no splitting. */
export function formatEvent(id: number, record: DaemonRecord): string {
	return `id: ${id}\nevent: ${record.event}\ndata: ${JSON.stringify(record)}\n\n`;
}

/**
 * `GET /events`: every record published on the bus, to every client, as
 * Server-Sent Events. Each client has its own subscription, dropped when it
 * goes away; ids count the records of one stream.
 */
export class EventStreams {
	readonly #records: RecordSource;
	readonly #pingIntervalMs: number;
	readonly #maxStreams: number;
	readonly #streams = new Set<ServerResponse>();
	readonly #ends = new Map<ServerResponse, () => void>();

	constructor(records: RecordSource, pingIntervalMs = PING_INTERVAL_MS, maxStreams = MAX_EVENT_STREAMS) {
		this.#records = records;
		this.#pingIntervalMs = pingIntervalMs;
		this.#maxStreams = maxStreams;
	}

	get size(): number {
		return this.#streams.size;
	}

	/** Throws a 503 (ERR_API_BUSY) when api.maxEventStreams streams are open already. */
	open(request: IncomingMessage, response: ServerResponse): void {
		if (this.#streams.size >= this.#maxStreams) {
			// An EventSource ignores Retry-After and retries after its `retry:` (2 s); `tail` backs off on its own.
			throw busy(`The API serves at most ${this.#maxStreams} event streams at once (api.maxEventStreams), and that many are open`, '5');
		}
		response.writeHead(200, {
			'Content-Type': 'text/event-stream; charset=utf-8',
			'Cache-Control': 'no-cache, no-transform',
			// nginx would otherwise hold events back in its buffer.
			'X-Accel-Buffering': 'no',
		});
		response.write(SSE_RETRY);
		let id = 0;
		const unsubscribe = this.#records.subscribe(record => {
			id += 1;
			this.#write(response, formatEvent(id, record));
		});
		const ping = setInterval(() => this.#write(response, SSE_PING), this.#pingIntervalMs);
		ping.unref();
		const end = () => {
			clearInterval(ping);
			unsubscribe();
			this.#streams.delete(response);
			this.#ends.delete(response);
		};
		this.#streams.add(response);
		this.#ends.set(response, end);
		request.socket.setTimeout(0);
		response.on('close', end);
	}

	/** End every stream (the server is closing); a client's EventSource reconnects on its own. */
	close(): void {
		for (const response of [...this.#streams]) {
			this.#ends.get(response)?.();
			response.end();
		}
	}

	#write(response: ServerResponse, text: string): void {
		if (response.writableLength > MAX_BUFFERED_BYTES) {
			this.#ends.get(response)?.();
			response.destroy();
			return;
		}
		response.write(text);
	}
}
