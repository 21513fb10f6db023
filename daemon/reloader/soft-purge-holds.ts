import type {HeldProcess} from '../transports/transport.ts';
import {purgeTimeoutFailure, type PurgeTimeout} from './purge-report.ts';

/**
 * Modules held back by `purge: soft`, and since when (the reloader's clock):
 * their later batches are retries, and past `timeoutMs` a module still held
 * times out (failed, with its holders and how to force it).
 */
export class SoftPurgeHolds {
	readonly #since = new Map<string, number>();
	readonly #timeoutMs: number | undefined;
	readonly #now: () => number;

	constructor(timeoutMs: number | undefined, now: () => number) {
		this.#timeoutMs = timeoutMs;
		this.#now = now;
	}

	/** Held back by an earlier batch: this one is its retry. */
	isHeld(module: string): boolean {
		return this.#since.has(module);
	}

	/** Each module with holders is held back, unless it has been held for `timeoutMs` already. */
	judge(holders: ReadonlyMap<string, readonly HeldProcess[]>): {heldBack: Set<string>; timedOut: Map<string, PurgeTimeout>} {
		const now = this.#now();
		const heldBack = new Set<string>();
		const timedOut = new Map<string, PurgeTimeout>();
		for (const [module, processes] of holders) {
			const since = this.#since.get(module) ?? now;
			if (this.#timeoutMs !== undefined && now - since >= this.#timeoutMs) {
				timedOut.set(module, purgeTimeoutFailure(module, processes, now - since));
			} else {
				heldBack.add(module);
				this.#since.set(module, since);
			}
		}
		return {heldBack, timedOut};
	}

	/** A batch judged these modules and did not hold them back: no longer held. */
	release(modules: readonly string[], heldBack: readonly string[]): void {
		for (const module of modules) {
			if (!heldBack.includes(module)) {
				this.#since.delete(module);
			}
		}
	}
}
