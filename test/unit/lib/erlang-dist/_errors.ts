/** Message, hint, code and every cause's, joined: to check a secret appears nowhere in an error. */
export function causeChain(error: unknown): string {
	const parts: string[] = [];
	for (let current: unknown = error, depth = 0; current !== undefined && current !== null && depth < 20; depth++) {
		if (current instanceof Error) {
			const {hint, code} = current as Error & {hint?: unknown; code?: unknown};
			parts.push(current.message, String(hint ?? ''), String(code ?? ''), current.stack ?? '');
			current = current.cause;
		} else {
			parts.push(typeof current === 'string' ? current : JSON.stringify(current) ?? String(current));
			current = undefined;
		}
	}
	return parts.join('\n');
}
