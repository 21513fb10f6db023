import {performance} from 'node:perf_hooks';
import {inflateSync} from 'node:zlib';
import {TermError, errorMessage} from './term-error.ts';
import {DecodeBudget} from './decode-budget.ts';
import type {DecodeLimits} from './decode-budget.ts';
import {TermDecoder} from './decode-term.ts';
import type {DecodeSteps} from './decode-term.ts';
import {MAX_DECOMPRESSED_SIZE} from './limits.ts';
import {Reader} from './reader.ts';
import type {Site} from './reader.ts';
import {COMPRESSED, VERSION} from './tags.ts';
import type {Term} from './terms.ts';

export interface DecodedTerm {
	readonly term: Term;
	/** Offset just past the term: where the next one starts. */
	readonly end: number;
}

/** Decode a whole buffer holding one term, starting with the version byte 131. */
export function decodeTerm(bytes: Uint8Array, limits?: DecodeLimits | DecodeBudget): Term {
	const {term, end} = decodeTermAt(bytes, 0, limits);
	if (end !== bytes.byteLength) {
		new Reader(bytes, end).fail({tag: undefined, offset: end}, `${bytes.byteLength - end} bytes follow the term`);
	}
	return term;
}

/**
 * Decode the term whose version byte (131) is at `offset`; for messages
 * carrying several terms. Pass one DecodeBudget to several calls to limit
 * them together. Synchronous: for input of untrusted size use decodeTermAtInSlices.
 */
export function decodeTermAt(bytes: Uint8Array, offset: number, limits?: DecodeLimits | DecodeBudget): DecodedTerm {
	return runSteps(decodeSteps(bytes, offset, asBudget(limits)));
}

/**
 * decodeTermAt in slices of at most about `sliceMs` of work, handing the
 * event loop back (setImmediate) between them: a large input never blocks it
 * for long. The bytes must not change until the promise settles.
 */
export function decodeTermAtInSlices(bytes: Uint8Array, offset: number, limits?: DecodeLimits | DecodeBudget, sliceMs = DEFAULT_SLICE_MS): Promise<DecodedTerm> {
	return runStepsInSlices(decodeSteps(bytes, offset, asBudget(limits)), sliceMs);
}

/** Decode a term body with no version byte at `offset` (e.g. inside an opaque fun). */
export function decodeTermBodyAt(bytes: Uint8Array, offset: number, limits?: DecodeLimits | DecodeBudget): DecodedTerm {
	const reader = new Reader(bytes, offset);
	if (!Number.isSafeInteger(offset) || offset < 0 || offset > bytes.byteLength) {
		reader.fail({tag: undefined, offset: 0}, `the start offset ${offset} lies outside the ${bytes.byteLength}-byte input`);
	}
	const term = runSteps(new TermDecoder(reader, asBudget(limits)).term(0));
	return {term, end: reader.pos};
}

/** Work per slice of decodeTermAtInSlices, in milliseconds. */
export const DEFAULT_SLICE_MS = 2;

/** Run decoder steps to the end, ignoring their pauses. */
export function runSteps<T>(steps: DecodeSteps<T>): T {
	for (;;) {
		const step = steps.next();
		if (step.done === true) {
			return step.value;
		}
	}
}

/** Run decoder steps, yielding to the event loop whenever a slice has taken `sliceMs`. */
export async function runStepsInSlices<T>(steps: DecodeSteps<T>, sliceMs = DEFAULT_SLICE_MS): Promise<T> {
	let sliceStart = performance.now();
	for (;;) {
		const step = steps.next();
		if (step.done === true) {
			return step.value;
		}
		if (performance.now() - sliceStart >= sliceMs) {
			await new Promise(resolve => setImmediate(resolve));
			sliceStart = performance.now();
		}
	}
}

function asBudget(limits: DecodeLimits | DecodeBudget | undefined): DecodeBudget {
	return limits instanceof DecodeBudget ? limits : new DecodeBudget(limits);
}

function* decodeSteps(bytes: Uint8Array, offset: number, budget: DecodeBudget): DecodeSteps<DecodedTerm> {
	if (!Number.isSafeInteger(offset) || offset < 0 || offset > bytes.byteLength) {
		new Reader(bytes, 0).fail({tag: undefined, offset: 0}, `the start offset ${offset} lies outside the ${bytes.byteLength}-byte input`);
	}
	const reader = new Reader(bytes, offset);
	const site: Site = {tag: undefined, offset};
	if (reader.remaining === 0) {
		reader.fail(site, 'the input is empty where a term should start');
	}
	const version = reader.u8(site, 'the version byte');
	if (version !== VERSION) {
		reader.fail(site, `expected the version byte ${VERSION}, found ${version}`);
	}
	const term = reader.peekU8() === COMPRESSED ? yield* decodeCompressed(reader, budget) : yield* new TermDecoder(reader, budget).term(0);
	return {term, end: reader.pos};
}

function* decodeCompressed(reader: Reader, budget: DecodeBudget): DecodeSteps<Term> {
	const site: Site = {tag: COMPRESSED, offset: reader.pos};
	reader.skip(site, 1, 'the tag');
	const size = reader.u32(site, 'the uncompressed size');
	if (size === 0 || size > MAX_DECOMPRESSED_SIZE) {
		reader.fail(site, `the declared uncompressed size ${size} is outside 1..${MAX_DECOMPRESSED_SIZE}`);
	}
	// Reserved before inflating: a declared size over the budget costs nothing.
	budget.chargeInflated(reader, site, size);
	// Inflating is the one step that cannot pause: start it on a fresh slice.
	yield;
	let inflated: Buffer;
	let consumed: number;
	try {
		({inflated, consumed} = readInflateResult(inflateSync(reader.rest(), {info: true, maxOutputLength: size})));
	} catch (error) {
		if (error instanceof TermError) {
			throw error;
		}
		const problem = isBufferTooLarge(error) ? `the data inflates to more than the declared ${size} bytes` : `the zlib data is corrupt (${errorMessage(error)})`;
		return reader.fail(site, problem, error);
	}
	yield;
	if (inflated.byteLength !== size) {
		reader.fail(site, `the data inflates to ${inflated.byteLength} bytes, not the declared ${size}`);
	}
	reader.skip(site, consumed, 'the zlib data');
	const inner = new Reader(inflated, 0, ` in the data decompressed from offset ${site.offset}`);
	const term = yield* new TermDecoder(inner, budget).term(0);
	if (inner.remaining !== 0) {
		inner.fail({tag: undefined, offset: inner.pos}, `${inner.remaining} bytes follow the term`);
	}
	return term;
}

/** `inflateSync(…, {info: true})` returns the output and the engine, whose `bytesWritten` is the input consumed. */
function readInflateResult(result: unknown): {inflated: Buffer; consumed: number} {
	if (typeof result === 'object' && result !== null && 'buffer' in result && 'engine' in result) {
		const {buffer, engine} = result;
		if (Buffer.isBuffer(buffer) && typeof engine === 'object' && engine !== null && 'bytesWritten' in engine && typeof engine.bytesWritten === 'number') {
			return {inflated: buffer, consumed: engine.bytesWritten};
		}
	}
	throw new TermError('ERR_ETF_DECODE', 'Cannot decode Erlang term: node:zlib did not report how much compressed input it read.');
}

function isBufferTooLarge(error: unknown): boolean {
	return error instanceof Error && 'code' in error && error.code === 'ERR_BUFFER_TOO_LARGE';
}
