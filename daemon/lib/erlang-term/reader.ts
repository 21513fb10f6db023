import {TermError} from './term-error.ts';
import {describeTag} from './tags.ts';

/** Where a term starts: its tag byte, and that byte's offset in the input. */
export interface Site {
	readonly tag: number | undefined;
	readonly offset: number;
}

const DECODE_HINT = 'The bytes are not a valid Erlang term as this decoder reads them: check that the peer speaks the External Term Format without atom cache references.';

/**
 * A bounds-checked cursor over the input. Every read names the term it belongs
 * to, so a failure says which tag at which offset and what was wrong; every
 * length is checked against the bytes that remain before anything is read or
 * allocated.
 */
export class Reader {
	readonly #buffer: Buffer;
	readonly #where: string;
	#pos: number;
	#end: number;

	/** `where` qualifies offsets, e.g. ` in the data decompressed from offset 1`. */
	constructor(bytes: Uint8Array, pos: number, where = '') {
		this.#buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
		this.#pos = pos;
		this.#end = bytes.byteLength;
		this.#where = where;
	}

	get pos(): number {
		return this.#pos;
	}

	get end(): number {
		return this.#end;
	}

	get remaining(): number {
		return this.#end - this.#pos;
	}

	/** Narrow the readable range to `[pos, end)` until the returned function is called. */
	limitTo(end: number): () => void {
		const saved = this.#end;
		this.#end = end;
		return () => {
			this.#end = saved;
		};
	}

	fail(site: Site, problem: string, cause?: unknown): never {
		const what = site.tag === undefined ? 'term' : describeTag(site.tag);
		throw new TermError('ERR_ETF_DECODE', `Cannot decode Erlang term: ${what} at offset ${site.offset}${this.#where}: ${problem}.`, {hint: DECODE_HINT, cause});
	}

	/** Fail with ERR_ETF_LIMIT: the input is well-formed so far, but would produce more than allowed. */
	failLimit(site: Site, problem: string, hint: string): never {
		const what = site.tag === undefined ? 'term' : describeTag(site.tag);
		throw new TermError('ERR_ETF_LIMIT', `Refusing an Erlang term: ${what} at offset ${site.offset}${this.#where}: ${problem}.`, {hint});
	}

	/**
	 * Fail unless `minBytes` can still follow: called with what a length field
	 * claims (each element takes at least one byte) before looping over it.
	 */
	expectRoom(site: Site, minBytes: number, claim: string): void {
		if (minBytes > this.remaining) {
			this.fail(site, `${claim} but only ${this.remaining} bytes remain`);
		}
	}

	#take(site: Site, size: number, what: string): number {
		if (size > this.remaining) {
			this.fail(site, `${what} needs ${size} bytes but only ${this.remaining} remain`);
		}
		const at = this.#pos;
		this.#pos += size;
		return at;
	}

	u8(site: Site, what: string): number {
		return this.#buffer.readUInt8(this.#take(site, 1, what));
	}

	peekU8(): number | undefined {
		return this.#pos < this.#end ? this.#buffer.readUInt8(this.#pos) : undefined;
	}

	u16(site: Site, what: string): number {
		return this.#buffer.readUInt16BE(this.#take(site, 2, what));
	}

	u32(site: Site, what: string): number {
		return this.#buffer.readUInt32BE(this.#take(site, 4, what));
	}

	i32(site: Site, what: string): number {
		return this.#buffer.readInt32BE(this.#take(site, 4, what));
	}

	u64(site: Site, what: string): bigint {
		return this.#buffer.readBigUInt64BE(this.#take(site, 8, what));
	}

	f64(site: Site, what: string): number {
		return this.#buffer.readDoubleBE(this.#take(site, 8, what));
	}

	/** A copy: decoded terms must not alias a network buffer that gets reused. */
	bytes(site: Site, size: number, what: string): Buffer {
		const at = this.#take(site, size, what);
		return Buffer.from(this.#buffer.subarray(at, at + size));
	}

	/** A view, for data that is converted at once (strings, compressed input). */
	view(site: Site, size: number, what: string): Buffer {
		const at = this.#take(site, size, what);
		return this.#buffer.subarray(at, at + size);
	}

	/** A copy of `[start, end)`, a range already read. */
	copy(start: number, end: number): Buffer {
		return Buffer.from(this.#buffer.subarray(start, end));
	}

	/** A view of everything left, consumed only by a later `skip`. */
	rest(): Buffer {
		return this.#buffer.subarray(this.#pos, this.#end);
	}

	skip(site: Site, size: number, what: string): void {
		this.#take(site, size, what);
	}
}
