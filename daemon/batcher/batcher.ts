import type {Batch, BeamChange} from './batch.ts';
import type {Clock, TimerHandle} from './clock.ts';
import {QuietWindow} from './quiet-window.ts';

export interface BatcherOptions {
	/** Trailing quiet window: a lone change closes its batch after this long; a burst waits longer, following its own pace (see QuietWindow). */
	readonly debounceMs: number;
	/** Cap measured from the batch's first change, so a steady stream still closes. */
	readonly maxWaitMs: number;
	readonly clock: Clock;
	/** Receives every closed batch, in order. */
	readonly onBatch: (batch: Batch) => void;
	/** Gives each batch its id; by default 1, 2, 3... Shared when other sources number batches too. */
	readonly nextId?: () => number;
}

/**
 * Coalesces beam changes into batches: a trailing quiet window (QuietWindow:
 * `debounceMs` for a lone change, longer inside a burst) capped by a maximum
 * wait. Pure apart from the injected clock; it knows nothing of files or queues.
 * A change for a module already pending replaces it (the newest path wins) but
 * keeps the batch's first-change time, so rewriting one file forever cannot
 * postpone the batch past `maxWaitMs`.
 */
export class Batcher {
	readonly #options: BatcherOptions;
	readonly #pending = new Map<string, BeamChange>();
	readonly #window: QuietWindow;
	#timer: TimerHandle | undefined;
	readonly #nextId: () => number;
	#closed = false;

	constructor(options: BatcherOptions) {
		this.#window = new QuietWindow(options);
		this.#options = options;
		this.#nextId = options.nextId ?? counter();
	}

	get pendingCount(): number {
		return this.#pending.size;
	}

	add(change: BeamChange): void {
		if (this.#closed) {
			throw new Error(`Batcher is closed; the change of ${change.module} (${change.path}) cannot be batched`);
		}
		const now = this.#options.clock.now();
		this.#window.note(now);
		this.#pending.delete(change.module);
		this.#pending.set(change.module, change);
		this.#schedule(now);
	}

	/**
	 * A change that went out in a batch and came back (the node was down, or a
	 * module was held back): batched again, unless a newer change of its module
	 * is already pending, which it must not replace.
	 */
	requeue(change: BeamChange): void {
		const pending = this.#pending.get(change.module);
		if (pending === undefined || pending.at <= change.at) {
			this.add(change);
		}
	}

	/** Close the pending batch now, if there is one (shutdown, tests). */
	flush(): Batch | undefined {
		this.#cancelTimer();
		if (this.#pending.size === 0) {
			return undefined;
		}
		const batch: Batch = Object.freeze({
			id: this.#nextId(),
			changes: Object.freeze([...this.#pending.values()]),
			firstChangeAt: this.#window.openedAt ?? this.#options.clock.now(),
			closedAt: this.#options.clock.now(),
		});
		this.#pending.clear();
		this.#window.reset();
		this.#options.onBatch(batch);
		return batch;
	}

	/** Stop batching; whatever is pending is handed on first, so nothing is lost. */
	close(): void {
		if (this.#closed) {
			return;
		}
		this.flush();
		this.#closed = true;
	}

	#schedule(now: number): void {
		this.#cancelTimer();
		const delay = Math.max(0, (this.#window.closesAt() ?? now) - now);
		this.#timer = this.#options.clock.setTimer(() => {
			this.#timer = undefined;
			this.flush();
		}, delay);
	}

	#cancelTimer(): void {
		if (this.#timer !== undefined) {
			this.#options.clock.clearTimer(this.#timer);
			this.#timer = undefined;
		}
	}
}

export function counter(first = 1): () => number {
	let next = first;
	return () => next++;
}
