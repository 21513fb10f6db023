import type {ServerResponse} from 'node:http';

/** The responses not yet finished, so that close() can wait for them. */
export class InFlight {
	readonly #responses = new Set<ServerResponse>();
	readonly #waiters = new Set<() => void>();

	get size(): number {
		return this.#responses.size;
	}

	/** 'close' comes after the last byte went to the OS, or when the client went away. */
	track(response: ServerResponse): void {
		this.#responses.add(response);
		response.once('close', () => {
			this.#responses.delete(response);
			if (this.#responses.size === 0) {
				for (const wake of this.#waiters) {
					wake();
				}
			}
		});
	}

	pending(): ServerResponse[] {
		return [...this.#responses];
	}

	/** True once nothing is in flight; false if that took longer than `limitMs`. */
	idle(limitMs: number): Promise<boolean> {
		if (this.#responses.size === 0) {
			return Promise.resolve(true);
		}
		return new Promise(resolve => {
			const done = (drained: boolean) => {
				clearTimeout(timer);
				this.#waiters.delete(wake);
				resolve(drained);
			};
			const wake = () => done(true);
			const timer = setTimeout(done, limitMs, false);
			timer.unref();
			this.#waiters.add(wake);
		});
	}
}
