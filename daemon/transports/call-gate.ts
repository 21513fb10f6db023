import {performance} from 'node:perf_hooks';
import {ReloaderError, errorMessage} from '../errors.ts';
import {untilAborted} from '../lib/erlang-dist/index.ts';

/** A call that outlived its expected time while the node still answered the liveness check. */
export interface SlowCall {
	/** e.g. `ejabberd_update:update_info/0`. */
	readonly call: string;
	/** How long it has run so far. */
	readonly elapsedMs: number;
	/** How long it is waited for in all, from its start. */
	readonly waitUpToMs: number;
	/** The last completed call of its kind, when one was measured. */
	readonly lastMs: number | undefined;
}

export interface CallGateOptions {
	/** Named in errors. */
	readonly node: string;
	/** When a call of a kind is expected to be done at the latest, unless its kind was measured slower (see expectedMs). */
	readonly callTimeoutMs: number;
	/**
	 * The longest a call is waited for while the node keeps answering the
	 * liveness check (or 3 × its kind's last measured time, if longer).
	 */
	readonly slowCallLimitMs: number;
	/**
	 * A cheap call that resolves when the node answers and rejects when it
	 * does not. Without it (ctl, http: every call has its own process or
	 * request and its own timeout) the gate only makes calls of a kind wait
	 * their turn.
	 */
	readonly probe?: ((timeoutMs: number) => Promise<void>) | undefined;
	/** Told once per call that has run longer than expected on a node that answers. */
	readonly onSlow?: ((call: SlowCall) => void) | undefined;
}

interface Running {
	readonly call: string;
	readonly startedAt: number;
	/** Until when its caller waits for it (the slow limit); a later call of the lane waits at least as long. */
	readonly waitedUntil: number;
	/** Settles (never rejects) when the node has answered, or the connection that carried the call ended. */
	readonly done: Promise<void>;
}

/** A liveness check never waits longer than this, whatever callTimeoutMs is. */
const MAX_PROBE_MS = 10_000;

/**
 * Slow is not down. Calls of one kind (a lane: ejabberd_update's scans, say)
 * run one at a time on the node: a call waits until the previous one of its
 * kind has finished there, even when an earlier caller stopped waiting for it
 * (a timeout on our side does not stop the work on the node), and gives up
 * after a bounded extra time rather than start a second one.
 *
 * A call that takes longer than expected (max(callTimeoutMs, 3 × the last
 * measured call of its kind)) is not failed: the node is asked a cheap
 * question (probe). A node that answers is slow, reported once through onSlow,
 * and waited for (re-checked every callTimeoutMs) up to slowCallLimitMs; only
 * a node that does not answer the probe is down (ERR_NODE_DOWN).
 */
export class CallGate {
	readonly #options: CallGateOptions;
	readonly #running = new Map<string, Running>();
	readonly #lastMs = new Map<string, number>();

	constructor(options: CallGateOptions) {
		this.#options = options;
	}

	/** The last completed call of the lane, in ms; undefined until one has completed. */
	lastMs(lane: string): number | undefined {
		return this.#lastMs.get(lane);
	}

	/** Whether a call of the lane is running on the node (as far as this side can tell). */
	busy(lane: string): boolean {
		return this.#running.has(lane);
	}

	/**
	 * How long a call of the lane may take before the node is asked whether it
	 * is alive; whole milliseconds, as it becomes a call's timeout (the dist
	 * client refuses a fraction) and appears in messages.
	 */
	expectedMs(lane: string): number {
		return Math.max(this.#options.callTimeoutMs, Math.ceil(3 * (this.#lastMs.get(lane) ?? 0)));
	}

	/**
	 * Run `start()` as the lane's one call. `start` must not be tied to
	 * `signal`: the call goes on on the node whatever the caller does, and its
	 * promise must settle only when the node answers or the connection ends.
	 */
	async run<T>(lane: string, call: string, start: () => Promise<T>, signal?: AbortSignal): Promise<T> {
		const since = performance.now();
		// From the last check to the claim below nothing awaits: two callers cannot both find the lane free.
		for (let running = this.#running.get(lane); running !== undefined; running = this.#running.get(lane)) {
			await this.#waitFor(running, lane, call, since, signal);
		}
		const startedAt = performance.now();
		const work = start();
		const done = work.then(() => {
			this.#lastMs.set(lane, performance.now() - startedAt);
		}, () => undefined).finally(() => {
			if (this.#running.get(lane)?.done === done) {
				this.#running.delete(lane);
			}
		});
		this.#running.set(lane, {call, startedAt, done, waitedUntil: startedAt + this.#limitMs(lane)});
		return this.#probe === undefined ? untilAborted(work, signal) : this.#watch(lane, call, work, startedAt, signal);
	}

	get #probe(): CallGateOptions['probe'] {
		return this.#options.probe;
	}

	#limitMs(lane: string): number {
		return this.#probe === undefined ? Number.POSITIVE_INFINITY : Math.max(this.#options.slowCallLimitMs, this.expectedMs(lane));
	}

	/**
	 * Wait while another call of the lane runs: as long as its own caller
	 * waits for it, and once that caller has given up (the call still running
	 * on the node), the lane's expected time more.
	 */
	async #waitFor(running: Running, lane: string, call: string, since: number, signal: AbortSignal | undefined): Promise<void> {
		signal?.throwIfAborted();
		// Without a probe each call ends within its own timeout: waitedUntil is never, and waiting is bounded already.
		const boundMs = Math.max(running.waitedUntil, since + this.expectedMs(lane)) - performance.now();
		if (boundMs <= 0 || !await settlesWithin(running.done, boundMs, signal)) {
			const runningMs = Math.round(performance.now() - running.startedAt);
			throw new ReloaderError('ERR_NODE_BUSY', `${call} on ${this.#options.node} was not started: ${running.call}, started ${runningMs} ms ago, is still running there, and only one runs at a time`, {
				retryable: true,
				hint: 'The node is up but busy; the call is tried again later. A large ebin makes ejabberd_update slow (it reads every beam).',
			});
		}
	}

	async #watch<T>(lane: string, call: string, work: Promise<T>, startedAt: number, signal: AbortSignal | undefined): Promise<T> {
		const {callTimeoutMs, node} = this.#options;
		const expectedMs = this.expectedMs(lane);
		const limitMs = this.#limitMs(lane);
		let reported = false;
		for (let waitMs = expectedMs; ; waitMs = Math.min(callTimeoutMs, limitMs - (performance.now() - startedAt))) {
			if (waitMs > 0 && await settlesWithin(work, waitMs, signal)) {
				return work;
			}
			const elapsedMs = Math.round(performance.now() - startedAt);
			if (elapsedMs >= limitMs) {
				throw new ReloaderError('ERR_NODE_TIMEOUT', `${call} on ${node} is still running after ${elapsedMs} ms although the node answers; stopped waiting at the limit of ${limitMs} ms`, {
					retryable: true,
					hint: 'No other call of this kind is started until it finishes. Raise dist.slowCallLimitMs if the node is legitimately that slow (a very large ebin).',
				});
			}
			await this.#checkAlive(call, elapsedMs, signal);
			if (!reported) {
				reported = true;
				this.#options.onSlow?.({call, elapsedMs, waitUpToMs: limitMs, lastMs: this.#lastMs.get(lane)});
			}
		}
	}

	async #checkAlive(call: string, elapsedMs: number, signal: AbortSignal | undefined): Promise<void> {
		const probe = this.#probe;
		if (probe === undefined) {
			return;
		}
		const timeoutMs = Math.min(this.#options.callTimeoutMs, MAX_PROBE_MS);
		try {
			await untilAborted(probe(timeoutMs), signal);
		} catch (error) {
			signal?.throwIfAborted();
			throw new ReloaderError('ERR_NODE_DOWN', `${call} on ${this.#options.node} did not answer within ${elapsedMs} ms, and the node does not answer a liveness check either (${errorMessage(error)})`, {
				cause: error,
				retryable: true,
				hint: 'The node is down or unreachable; the daemon waits for it.',
			});
		}
	}
}

/** True when `promise` settles (either way) within `ms`; false on timeout; the signal's reason when it aborts first. */
function settlesWithin(promise: Promise<unknown>, ms: number, signal: AbortSignal | undefined): Promise<boolean> {
	const settled = promise.then(() => true, () => true);
	if (ms === Number.POSITIVE_INFINITY) {
		return untilAborted(settled, signal);
	}
	let timer: NodeJS.Timeout | undefined;
	const timeout = new Promise<boolean>(resolve => {
		// setTimeout takes at most a 32-bit delay; later than that is "never" here.
		timer = setTimeout(() => resolve(false), Math.min(ms, 2 ** 31 - 1));
	});
	return untilAborted(Promise.race([settled, timeout]), signal).finally(() => clearTimeout(timer));
}
