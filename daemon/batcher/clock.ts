/** Time as the batcher sees it: injected so tests drive it without waiting. */
export interface Clock {
	now(): number;
	setTimer(callback: () => void, delayMs: number): TimerHandle;
	clearTimer(handle: TimerHandle): void;
}

export interface TimerHandle {
	readonly id: unknown;
}

export const systemClock: Clock = {
	now: () => Date.now(),
	setTimer(callback, delayMs) {
		const timer = setTimeout(callback, delayMs);
		// A pending batch must not keep a closing process alive; close() flushes it.
		timer.unref();
		return {id: timer};
	},
	clearTimer(handle) {
		clearTimeout(handle.id as NodeJS.Timeout);
	},
};
