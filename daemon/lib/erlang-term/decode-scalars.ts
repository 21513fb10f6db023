import {TextDecoder} from 'node:util';
import {quoteUntrusted} from '../untrusted-text/index.ts';
import {MAX_ATOM_CHARACTERS, MAX_BIG_BYTES} from './limits.ts';
import type {Reader, Site} from './reader.ts';
import {Atom, BitBinary, ErlFloat} from './terms.ts';

const utf8 = new TextDecoder('utf-8', {fatal: true, ignoreBOM: true});
const FLOAT_TEXT = /^\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** SMALL_BIG_EXT and LARGE_BIG_EXT after the digit count: sign, then little-endian digits. */
export function readBig(r: Reader, site: Site, size: number): number | bigint {
	if (size > MAX_BIG_BYTES) {
		r.fail(site, `a ${size}-byte integer is larger than the ${MAX_BIG_BYTES} bytes this decoder accepts`);
	}
	// Erlang reads any non-zero sign byte as negative.
	const negative = r.u8(site, 'the sign') !== 0;
	const digits = r.view(site, size, 'the digits');
	let magnitude = 0n;
	if (size > 0) {
		magnitude = BigInt(`0x${Buffer.from(digits).reverse().toString('hex')}`);
	}
	const value = negative ? -magnitude : magnitude;
	return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}

export function checkFloat(r: Reader, site: Site, value: number): ErlFloat {
	if (!Number.isFinite(value)) {
		r.fail(site, `${value} is not a float Erlang can hold`);
	}
	return new ErlFloat(value);
}

/** FLOAT_EXT: the value printed with "%.20e" in 31 bytes, NUL padded. */
export function readOldFloat(r: Reader, site: Site): ErlFloat {
	const raw = r.view(site, 31, 'the text').toString('latin1');
	const nul = raw.indexOf('\0');
	const text = nul === -1 ? raw : raw.slice(0, nul);
	if (!FLOAT_TEXT.test(text)) {
		r.fail(site, `${quoteUntrusted(text)} is not a float`);
	}
	return checkFloat(r, site, Number(text));
}

export function readAtom(r: Reader, site: Site, length: number, encoding: 'latin1' | 'utf8'): Atom {
	const bytes = r.view(site, length, 'the name');
	let name: string;
	if (encoding === 'latin1') {
		name = bytes.toString('latin1');
	} else {
		try {
			name = utf8.decode(bytes);
		} catch (error) {
			return r.fail(site, 'the name is not valid UTF-8', error);
		}
	}
	if (countCodePoints(name) > MAX_ATOM_CHARACTERS) {
		r.fail(site, `the name has more than ${MAX_ATOM_CHARACTERS} characters`);
	}
	return new Atom(name);
}

export function readBitBinary(r: Reader, site: Site): Buffer | BitBinary {
	const length = r.u32(site, 'the length');
	const bits = r.u8(site, 'the bit count');
	if (length === 0 && bits === 0) {
		return Buffer.alloc(0);
	}
	if (length === 0 || bits < 1 || bits > 8) {
		r.fail(site, `${bits} bits used in the last of ${length} bytes is impossible (expected 1..8 and at least one byte)`);
	}
	const data = r.bytes(site, length, 'the data');
	// Erlang ignores the unused low bits: clear them so equal bitstrings compare equal.
	data[length - 1] = (data[length - 1] ?? 0) & (0xff << (8 - bits));
	return new BitBinary(data, bits);
}

/** Characters, not UTF-16 units: a surrogate pair is one character. */
function countCodePoints(text: string): number {
	let pairs = 0;
	for (let index = 0; index < text.length; index++) {
		const unit = text.charCodeAt(index);
		if (unit >= 0xdc00 && unit <= 0xdfff) {
			pairs++;
		}
	}
	return text.length - pairs;
}
