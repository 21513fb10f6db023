/** A small seeded PRNG (mulberry32): a schedule, a soak round, is its seed. */
export function seededRandom(seed: number): () => number {
	let state = seed >>> 0;
	return () => {
		state = (state + 0x6D_2B_79_F5) >>> 0;
		let value = state;
		value = Math.imul(value ^ (value >>> 15), value | 1);
		value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
		return ((value ^ (value >>> 14)) >>> 0) / 4_294_967_296;
	};
}

export function pick<T>(random: () => number, choices: readonly T[]): T {
	return choices[Math.floor(random() * choices.length)] as T;
}

/** An integer from `min` to `max`, both included. */
export function between(random: () => number, min: number, max: number): number {
	return min + Math.floor(random() * (max - min + 1));
}
