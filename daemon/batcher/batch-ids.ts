/** Batch ids 1, 2, 3...: one counter shared by every source of batches (and across configurations), so ids never repeat. */
export function counter(first = 1): () => number {
	let next = first;
	return () => next++;
}
