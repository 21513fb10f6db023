import type {Clock, TimerHandle} from '../../daemon/batcher/clock.ts';

/** A clock that only moves when a test says so; timers fire in due order. */
export class FakeClock implements Clock {
	#now = 0;
	#nextId = 0;
	readonly #timers = new Map<number, {at: number; callback: () => void}>();

	now(): number {
		return this.#now;
	}

	setTimer(callback: () => void, delayMs: number): TimerHandle {
		const id = this.#nextId++;
		this.#timers.set(id, {at: this.#now + delayMs, callback});
		return {id};
	}

	clearTimer(handle: TimerHandle): void {
		this.#timers.delete(handle.id as number);
	}

	get pendingTimers(): number {
		return this.#timers.size;
	}

	advance(ms: number): void {
		const end = this.#now + ms;
		for (;;) {
			const due = [...this.#timers.entries()].filter(([, timer]) => timer.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
			if (due === undefined) {
				break;
			}
			const [id, timer] = due;
			this.#timers.delete(id);
			this.#now = timer.at;
			timer.callback();
		}
		this.#now = end;
	}
}
