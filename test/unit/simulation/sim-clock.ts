import type {Clock, TimerHandle} from '../../../daemon/batcher/clock.ts';

/**
 * Simulated time: it moves only when the simulation fires the next timer, so
 * every schedule runs in microseconds and replays the same way. Timers due at
 * the same moment fire in the order they were set.
 */
export class SimClock implements Clock {
	#now = 0;
	#nextId = 0;
	readonly #timers = new Map<number, {readonly at: number; readonly callback: () => void}>();

	now(): number {
		return this.#now;
	}

	setTimer(callback: () => void, delayMs: number): TimerHandle {
		const id = this.#nextId++;
		this.#timers.set(id, {at: this.#now + Math.max(0, delayMs), callback});
		return {id};
	}

	clearTimer(handle: TimerHandle): void {
		this.#timers.delete(handle.id as number);
	}

	get pendingTimers(): number {
		return this.#timers.size;
	}

	/** When the one pending timer is due; undefined when there is none or more than one. */
	soleTimerAt(): number | undefined {
		if (this.#timers.size !== 1) {
			return undefined;
		}
		const [timer] = this.#timers.values();
		return timer?.at;
	}

	/** When the earliest timer is due; undefined when none is left. */
	nextAt(): number | undefined {
		let next: number | undefined;
		for (const {at} of this.#timers.values()) {
			next = next === undefined ? at : Math.min(next, at);
		}
		return next;
	}

	/** Move to the earliest timer and fire it; false when none is left. */
	fireNext(): boolean {
		let next: [number, {at: number; callback: () => void}] | undefined;
		for (const entry of this.#timers) {
			if (next === undefined || entry[1].at < next[1].at) {
				next = entry;
			}
		}
		if (next === undefined) {
			return false;
		}
		this.#timers.delete(next[0]);
		this.#now = next[1].at;
		next[1].callback();
		return true;
	}

	/** A promise resolved after `ms` of simulated time. */
	sleep(ms: number): Promise<void> {
		return new Promise(resolve => {
			this.setTimer(resolve, ms);
		});
	}
}
