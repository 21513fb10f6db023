export interface BackoffOptions {
	readonly initialMs: number;
	readonly maxMs: number;
}

export const defaultBackoff: BackoffOptions = {initialMs: 500, maxMs: 30_000};

/** Delay before retry number `attempt` (0-based): doubling, capped. */
export function backoffDelay(attempt: number, options: BackoffOptions = defaultBackoff): number {
	return Math.min(options.maxMs, options.initialMs * 2 ** Math.min(attempt, 30));
}
