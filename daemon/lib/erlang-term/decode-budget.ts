import {DEFAULT_MAX_INFLATED_BYTES, DEFAULT_MAX_TERMS} from './limits.ts';
import type {Reader, Site} from './reader.ts';
import {describeValue} from './term-error.ts';
import {TermError} from './term-error.ts';

/** Terms decoded between two pauses of the decoder: a few hundred microseconds of work. */
export const TERMS_PER_STEP = 256;

export interface DecodeLimits {
	/** Terms one decode (or one budget shared by several) may produce; each costs a JS value. Default: 1,000,000. */
	readonly maxTerms?: number | undefined;
	/** Bytes all compressed terms together may inflate to. Default: 64 MiB. */
	readonly maxInflatedBytes?: number | undefined;
}

const LIMIT_HINT = 'The peer sent more than an answer of this size can hold: treat it as broken or hostile. Raise the limit only if such answers are expected.';

/**
 * What decoding may produce, charged as it goes: a hostile input that is
 * small on the wire (nested empty lists, a compressed term) must not become
 * gigabytes in memory. One budget can span several terms (a distribution
 * message's control and message terms), so the limit is per message, not per
 * term. Past a limit the decode fails with ERR_ETF_LIMIT.
 */
export class DecodeBudget {
	readonly maxTerms: number;
	readonly maxInflatedBytes: number;
	#terms = 0;
	#inflated = 0;

	constructor(limits: DecodeLimits = {}) {
		this.maxTerms = checkLimit('maxTerms', limits.maxTerms ?? DEFAULT_MAX_TERMS);
		this.maxInflatedBytes = checkLimit('maxInflatedBytes', limits.maxInflatedBytes ?? DEFAULT_MAX_INFLATED_BYTES);
	}

	get terms(): number {
		return this.#terms;
	}

	get inflatedBytes(): number {
		return this.#inflated;
	}

	/** Count one term; true when the decoder should pause (every TERMS_PER_STEP terms). */
	chargeTerm(reader: Reader, site: Site): boolean {
		this.#terms++;
		if (this.#terms > this.maxTerms) {
			reader.failLimit(site, `the input holds more than the ${this.maxTerms} terms allowed`, LIMIT_HINT);
		}
		return this.#terms % TERMS_PER_STEP === 0;
	}

	/** Reserve `size` inflated bytes before inflating them. */
	chargeInflated(reader: Reader, site: Site, size: number): void {
		if (this.#inflated + size > this.maxInflatedBytes) {
			reader.failLimit(site, `the compressed term would inflate to ${size} bytes, over the ${this.maxInflatedBytes} bytes allowed${this.#inflated > 0 ? ` (${this.#inflated} already inflated)` : ''}`, LIMIT_HINT);
		}
		this.#inflated += size;
	}
}

function checkLimit(name: string, value: number): number {
	if (!(Number.isSafeInteger(value) && value > 0)) {
		throw new TermError('ERR_ETF_LIMIT', `${name} must be a positive integer, got ${describeValue(value)}`);
	}
	return value;
}
