/**
 * chokidar drops events and has no trailing edge: a `change` within 50 ms of
 * the last one for the same file is thrown away (so is a raw event within
 * 5 ms), and `atomic` turns unlink-then-add into such a `change`. A beam
 * rewritten right after a reported write (`make install` twice in a row) may
 * so bring no event at all. Every reported write is therefore reported once
 * more, `delayMs` after the last one for that path: the beam check finds the
 * same bytes and hands nothing on, or finds the write chokidar swallowed.
 */
export class TrailingRecheck {
	readonly #delayMs: number;
	readonly #onDue: (path: string) => void;
	readonly #timers = new Map<string, NodeJS.Timeout>();

	constructor(delayMs: number, onDue: (path: string) => void) {
		this.#delayMs = delayMs;
		this.#onDue = onDue;
	}

	/** A write was reported at `path`: (re)start its trailing re-check. */
	note(path: string): void {
		clearTimeout(this.#timers.get(path));
		const timer = setTimeout(() => {
			this.#timers.delete(path);
			this.#onDue(path);
		}, this.#delayMs);
		// The watcher keeps the process alive while it watches; a pending re-check need not.
		timer.unref();
		this.#timers.set(path, timer);
	}

	close(): void {
		for (const timer of this.#timers.values()) {
			clearTimeout(timer);
		}
		this.#timers.clear();
	}
}
