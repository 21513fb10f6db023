import type {DaemonRecord} from './records.ts';

export type RecordListener = (record: DaemonRecord) => void;

/**
 * Fans every record out to its subscribers: the log, the SSE clients of
 * `GET /events`. A subscriber that throws is dropped rather than allowed to
 * break the daemon or the other subscribers.
 */
export class RecordBus {
	readonly #listeners = new Set<RecordListener>();

	readonly publish = (record: DaemonRecord): void => {
		for (const listener of this.#listeners) {
			try {
				listener(record);
			} catch {
				this.#listeners.delete(listener);
			}
		}
	};

	/** Returns the unsubscribe function. */
	subscribe(listener: RecordListener): () => void {
		this.#listeners.add(listener);
		return () => {
			this.#listeners.delete(listener);
		};
	}

	get size(): number {
		return this.#listeners.size;
	}
}
