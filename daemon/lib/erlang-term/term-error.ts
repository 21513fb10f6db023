/**
 * The only error this codec throws on purpose. `code` is stable (callers and
 * tests branch on it, never on the message); `hint` says what to check. The
 * codec is a library of its own: an application adapts this error to its own
 * types at its boundary.
 *
 * - ERR_ETF_DECODE: the bytes are not a term this decoder reads.
 * - ERR_ETF_ENCODE: the value cannot be written as a term.
 * - ERR_ETF_LIMIT: the input would produce more than a DecodeBudget allows
 *   (terms, inflated bytes); also an invalid limit.
 */
export type TermErrorCode = 'ERR_ETF_DECODE' | 'ERR_ETF_ENCODE' | 'ERR_ETF_LIMIT';

export interface TermErrorOptions {
	readonly cause?: unknown;
	readonly hint?: string | undefined;
}

export class TermError extends Error {
	readonly code: TermErrorCode;
	readonly hint: string | undefined;

	constructor(code: TermErrorCode, message: string, options: TermErrorOptions = {}) {
		super(message, {cause: options.cause});
		this.name = 'TermError';
		this.code = code;
		this.hint = options.hint;
	}
}

/** Quote a value and its type for an error message: `-5` (number). */
export function describeValue(value: unknown): string {
	const type = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
	let shown: string;
	try {
		shown = JSON.stringify(value) ?? String(value);
	} catch {
		shown = String(value);
	}
	if (shown.length > 80) {
		shown = `${shown.slice(0, 77)}...`;
	}
	return `\`${shown}\` (${type})`;
}

export function errorMessage(error: unknown): string {
	return error instanceof Error ? error.message : String(error);
}
