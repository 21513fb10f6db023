import type {Clock, TimerHandle} from '../batcher/clock.ts';
import {QuietWindow, type QuietWindowOptions} from '../batcher/quiet-window.ts';
import {Ledger, type Due, type OwedWork} from './ledger.ts';

export interface WorkScheduleOptions extends QuietWindowOptions {
	readonly clock: Clock;
	/** Work is due now: queue a batch to take it (told again at every turn while it stays due). */
	readonly onDue: () => void;
}

/**
 * When owed work falls due: the ledger, the quiet window that holds a burst
 * of writes until it has settled, and one timer for the next due time. It
 * runs nothing itself: `onDue` says that work is due, and whoever runs
 * batches takes it from the ledger. Nothing is due before start(): a daemon
 * that only answers questions owes work but never runs it.
 */
export class WorkSchedule {
	readonly ledger = new Ledger();
	readonly #window: QuietWindow;
	readonly #options: WorkScheduleOptions;
	#running = false;
	#timer: TimerHandle | undefined;

	constructor(options: WorkScheduleOptions) {
		this.#options = options;
		this.#window = new QuietWindow(options);
	}

	/** A settled write: owed until its burst's quiet window closes. */
	oweWrite(work: OwedWork): void {
		this.#window.note(work.at, work.module);
		this.owe(work, 'window');
	}

	owe(work: OwedWork, due: Due): void {
		if (this.ledger.owe(work, due, this.#options.clock.now())) {
			this.turn();
		}
	}

	start(): void {
		this.#running = true;
		this.turn();
	}

	/** What the quiet window holds is due now (shutdown: a last batch). */
	flush(): void {
		this.#window.reset();
		this.ledger.releaseWindow(this.#options.clock.now());
		this.turn();
	}

	/** Nothing falls due any more; what is owed stays owed. */
	stop(): void {
		this.#running = false;
		this.#cancelTimer();
	}

	/**
	 * One turn: close the quiet window if its time came, say whether work is
	 * due, and wake again when the next piece falls due. Call it after
	 * anything that may make work due (a batch ended, the node came back).
	 */
	turn(): void {
		if (!this.#running) {
			return;
		}
		const {clock, onDue} = this.#options;
		const now = clock.now();
		const closesAt = this.#window.closesAt();
		if (closesAt !== undefined && closesAt <= now) {
			this.#window.reset();
			this.ledger.releaseWindow(now);
		}
		const nextDue = this.ledger.nextDue();
		if (nextDue !== undefined && nextDue <= now) {
			onDue();
		}
		// Work due already waits for the batch that takes it (whose end turns again), not for a timer.
		const later = [this.#window.closesAt(), this.ledger.nextDue()].filter((at): at is number => at !== undefined && at > now);
		this.#wakeAt(Math.min(...later), now);
	}

	#wakeAt(at: number, now: number): void {
		this.#cancelTimer();
		if (Number.isFinite(at)) {
			this.#timer = this.#options.clock.setTimer(() => {
				this.#timer = undefined;
				this.turn();
			}, at - now);
		}
	}

	#cancelTimer(): void {
		if (this.#timer !== undefined) {
			this.#options.clock.clearTimer(this.#timer);
			this.#timer = undefined;
		}
	}
}
