/** Poll a condition until it holds, with a generous limit; for state that has no event. */
export async function waitUntil(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!(await condition())) {
		if (Date.now() > deadline) {
			throw new Error(`Timed out after ${timeoutMs} ms waiting until ${what}`);
		}
		await new Promise(resolve => setTimeout(resolve, 20));
	}
}
