/**
 * Identical requests share one batch. Per key, at most one call runs and one
 * waits: a request that arrives while a call is running cannot join it (that
 * call may have looked at the node before the request's change was
 * installed), so it waits for the next one, and every request that arrives
 * meanwhile joins that same waiting call. N identical concurrent requests
 * therefore cost at most two batches, each caller getting its call's result.
 */
export class Coalescer<T> {
	/** Settles when the key's running call ends. */
	readonly #running = new Map<string, Promise<void>>();
	readonly #waiting = new Map<string, Promise<T>>();

	/** How many calls wait to start, for all keys. */
	get waiting(): number {
		return this.#waiting.size;
	}

	/** Run `task` for `key`, or join the call for that key that has not started yet. */
	run(key: string, task: () => Promise<T>): Promise<T> {
		const waiting = this.#waiting.get(key);
		if (waiting !== undefined) {
			return waiting;
		}
		const running = this.#running.get(key);
		if (running === undefined) {
			return this.#start(key, task);
		}
		const next = running.then(() => {
			this.#waiting.delete(key);
			return this.#start(key, task);
		});
		this.#waiting.set(key, next);
		return next;
	}

	#start(key: string, task: () => Promise<T>): Promise<T> {
		let result: Promise<T>;
		try {
			result = task();
		} catch (error) {
			result = Promise.reject(error);
		}
		const ended: Promise<void> = result.then(noop, noop).then(() => {
			if (this.#running.get(key) === ended) {
				this.#running.delete(key);
			}
		});
		this.#running.set(key, ended);
		return result;
	}
}

function noop(): void {
	// Whether the call succeeded is its callers' business; the next one starts either way.
}
