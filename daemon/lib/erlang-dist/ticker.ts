/** net_ticktime is 60 s by default: the node ticks every 15 s and gives up on a peer silent for 60. */
export const TICK_INTERVAL_MS = 15_000;
export const SILENCE_LIMIT_TICKS = 4;

export interface TickerOptions {
	readonly intervalMs?: number;
	readonly sendTick: () => void;
	/** Called once when nothing arrived for SILENCE_LIMIT_TICKS intervals: the node or the network is gone without a FIN. */
	readonly onSilent: (silentMs: number) => void;
	readonly now?: () => number;
}

/**
 * Our side of the keepalive: a tick every interval, so the node keeps us,
 * and a watch on the node's, so a vanished host is noticed without waiting
 * for TCP. The timer is unref'd: an idle connection never holds the process.
 */
export class Ticker {
	readonly #intervalMs: number;
	readonly #sendTick: () => void;
	readonly #onSilent: (silentMs: number) => void;
	readonly #now: () => number;
	#timer: NodeJS.Timeout | undefined;
	#lastReceived = 0;

	constructor(options: TickerOptions) {
		this.#intervalMs = options.intervalMs ?? TICK_INTERVAL_MS;
		this.#sendTick = options.sendTick;
		this.#onSilent = options.onSilent;
		this.#now = options.now ?? Date.now;
	}

	start(): void {
		this.#lastReceived = this.#now();
		this.#timer ??= setInterval(() => this.#tick(), this.#intervalMs).unref();
	}

	/** Anything arrived from the node, ticks included. */
	received(): void {
		this.#lastReceived = this.#now();
	}

	stop(): void {
		clearInterval(this.#timer);
		this.#timer = undefined;
	}

	#tick(): void {
		const silentMs = this.#now() - this.#lastReceived;
		if (silentMs >= this.#intervalMs * SILENCE_LIMIT_TICKS) {
			this.stop();
			this.#onSilent(silentMs);
			return;
		}
		this.#sendTick();
	}
}
