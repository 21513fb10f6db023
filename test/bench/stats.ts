export interface Summary {
	readonly n: number;
	readonly p50: number;
	readonly p95: number;
	readonly min: number;
	readonly max: number;
}

/** Nearest-rank percentiles, rounded to `digits` decimals (0.1 ms by default). */
export function summarize(samples: readonly number[], digits = 1): Summary {
	if (samples.length === 0) {
		throw new Error('Cannot summarize zero samples');
	}
	const sorted = [...samples].sort((a, b) => a - b);
	const rank = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
	const scale = 10 ** digits;
	const round = (value: number) => Math.round(value * scale) / scale;
	return {n: sorted.length, p50: round(rank(50)), p95: round(rank(95)), min: round(sorted[0] ?? 0), max: round(sorted[sorted.length - 1] ?? 0)};
}
