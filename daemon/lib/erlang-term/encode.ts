import {TermError, describeValue} from './term-error.ts';
import {MAX_ATOM_CHARACTERS, MAX_DEPTH, MAX_REF_IDS} from './limits.ts';
import * as tags from './tags.ts';
import type {Term} from './terms.ts';
import {Atom, BitBinary, ErlFloat, ErlFun, ErlMap, ImproperList, Pid, Port, Ref, Tuple} from './terms.ts';
import {Writer} from './writer.ts';

const MAX_U32 = 0xffff_ffff;
const MAX_U64 = (1n << 64n) - 1n;
const LONE_SURROGATE = /\p{Cs}/u;

/** Encode a term with the leading version byte 131, as `term_to_binary/1` would. */
export function encodeTerm(term: Term): Buffer {
	const writer = new Writer();
	writer.u8(tags.VERSION);
	writeTerm(writer, term, 0);
	return writer.result();
}

/** Encode a term without the version byte. */
export function encodeTermBody(term: Term): Buffer {
	const writer = new Writer();
	writeTerm(writer, term, 0);
	return writer.result();
}

function fail(what: string, value: unknown): never {
	// JSON shows NaN and Infinity as null: spell them out.
	const shown = typeof value === 'number' && !Number.isFinite(value) ? `\`${value}\` (number)` : describeValue(value);
	throw new TermError('ERR_ETF_ENCODE', `Cannot encode an Erlang term: ${what}, got ${shown}.`, {
		hint: 'Pass only the term classes of erlang-term (Atom, Tuple, ...), integers, finite numbers, strings, Buffers and arrays.',
	});
}

function writeTerm(writer: Writer, term: Term, depth: number): void {
	if (depth >= MAX_DEPTH) {
		fail(`a term nested deeper than ${MAX_DEPTH} levels (is it cyclic?)`, kindOf(term));
	}
	if (typeof term === 'number') {
		writeNumber(writer, term);
	} else if (typeof term === 'bigint') {
		writeInteger(writer, term);
	} else if (typeof term === 'string') {
		writeString(writer, term, depth);
	} else if (Array.isArray(term)) {
		writeList(writer, term, [], depth);
	} else if (term instanceof Uint8Array) {
		writer.u8(tags.BINARY_EXT);
		writer.u32(term.byteLength);
		writer.bytes(term);
	} else if (term instanceof Atom) {
		writeAtom(writer, term);
	} else if (term instanceof ErlFloat) {
		writeFloat(writer, term.value);
	} else if (term instanceof Tuple) {
		writeTuple(writer, term, depth);
	} else if (term instanceof ErlMap) {
		writeMap(writer, term, depth);
	} else if (term instanceof ImproperList) {
		writeImproperList(writer, term, depth);
	} else if (term instanceof BitBinary) {
		writeBitBinary(writer, term);
	} else if (term instanceof Pid) {
		writer.u8(tags.NEW_PID_EXT);
		writeAtom(writer, term.node);
		writer.u32(checkU32(term.id, 'a pid id'));
		writer.u32(checkU32(term.serial, 'a pid serial'));
		writer.u32(checkU32(term.creation, 'a pid creation'));
	} else if (term instanceof Ref) {
		writeRef(writer, term);
	} else if (term instanceof Port) {
		writePort(writer, term);
	} else if (term instanceof ErlFun) {
		if (term.tag !== tags.NEW_FUN_EXT && term.tag !== tags.EXPORT_EXT) {
			fail('a fun whose tag is neither NEW_FUN_EXT (112) nor EXPORT_EXT (113)', term.tag);
		}
		writer.u8(term.tag);
		writer.bytes(term.raw);
	} else {
		fail('a value that is not a term', term);
	}
}

/** Integral numbers are integers, other finite numbers floats. */
function writeNumber(writer: Writer, value: number): void {
	if (!Number.isFinite(value)) {
		fail('a number that is not finite', value);
	}
	if (!Number.isInteger(value)) {
		writeFloat(writer, value);
	} else if (value >= 0 && value <= 0xff) {
		writer.u8(tags.SMALL_INTEGER_EXT);
		writer.u8(value);
	} else if (value >= -0x8000_0000 && value <= 0x7fff_ffff) {
		writer.u8(tags.INTEGER_EXT);
		writer.i32(value);
	} else {
		writeBig(writer, BigInt(value));
	}
}

function writeInteger(writer: Writer, value: bigint): void {
	if (value >= -0x8000_0000n && value <= 0x7fff_ffffn) {
		writeNumber(writer, Number(value));
	} else {
		writeBig(writer, value);
	}
}

function writeBig(writer: Writer, value: bigint): void {
	const magnitude = value < 0n ? -value : value;
	const hex = magnitude.toString(16);
	const digits = Buffer.from(hex.length % 2 === 0 ? hex : `0${hex}`, 'hex').reverse();
	if (digits.byteLength <= 0xff) {
		writer.u8(tags.SMALL_BIG_EXT);
		writer.u8(digits.byteLength);
	} else {
		if (digits.byteLength > MAX_U32) {
			fail('an integer this large', '<huge integer>');
		}
		writer.u8(tags.LARGE_BIG_EXT);
		writer.u32(digits.byteLength);
	}
	writer.u8(value < 0n ? 1 : 0);
	writer.bytes(digits);
}

function writeFloat(writer: Writer, value: unknown): void {
	if (typeof value !== 'number' || !Number.isFinite(value)) {
		fail('a float that is not a finite number', value);
	}
	writer.u8(tags.NEW_FLOAT_EXT);
	writer.f64(value);
}

function writeAtom(writer: Writer, term: Atom): void {
	if (!(term instanceof Atom)) {
		fail('a node name that is not an Atom', kindOf(term));
	}
	const {name} = term as {name: unknown};
	if (typeof name !== 'string' || LONE_SURROGATE.test(name)) {
		fail('an atom whose name is not a well-formed string', name);
	}
	const bytes = Buffer.from(name, 'utf8');
	if (bytes.byteLength > MAX_ATOM_CHARACTERS && [...name].length > MAX_ATOM_CHARACTERS) {
		fail(`an atom name longer than ${MAX_ATOM_CHARACTERS} characters`, name);
	}
	if (bytes.byteLength <= 0xff) {
		writer.u8(tags.SMALL_ATOM_UTF8_EXT);
		writer.u8(bytes.byteLength);
	} else {
		writer.u8(tags.ATOM_UTF8_EXT);
		writer.u16(bytes.byteLength);
	}
	writer.bytes(bytes);
}

/** A charlist: STRING_EXT when every character is a byte, else a list of code points. */
function writeString(writer: Writer, text: string, depth: number): void {
	// eslint-disable-next-line no-control-regex
	if (text.length <= 0xffff && /^[\u0000-\u00ff]*$/.test(text)) {
		writer.u8(tags.STRING_EXT);
		writer.u16(text.length);
		writer.bytes(Buffer.from(text, 'latin1'));
		return;
	}
	const codePoints: Term[] = [];
	for (const character of text) {
		codePoints.push(character.codePointAt(0) ?? 0);
	}
	writeList(writer, codePoints, [], depth);
}

function writeList(writer: Writer, elements: readonly Term[], tail: Term, depth: number): void {
	if (elements.length === 0) {
		writer.u8(tags.NIL_EXT);
		return;
	}
	writer.u8(tags.LIST_EXT);
	writer.u32(elements.length);
	for (const element of elements) {
		writeTerm(writer, element, depth + 1);
	}
	writeTerm(writer, tail, depth + 1);
}

function writeImproperList(writer: Writer, term: ImproperList, depth: number): void {
	if (term.elements.length === 0) {
		fail('an improper list without elements (use its tail instead)', term);
	}
	if (Array.isArray(term.tail) && term.tail.length === 0) {
		fail('an improper list whose tail is [] (use an array instead)', term);
	}
	writeList(writer, term.elements, term.tail, depth);
}

function writeTuple(writer: Writer, term: Tuple, depth: number): void {
	const {elements} = term;
	if (elements.length <= 0xff) {
		writer.u8(tags.SMALL_TUPLE_EXT);
		writer.u8(elements.length);
	} else {
		writer.u8(tags.LARGE_TUPLE_EXT);
		writer.u32(elements.length);
	}
	for (const element of elements) {
		writeTerm(writer, element, depth + 1);
	}
}

function writeMap(writer: Writer, term: ErlMap, depth: number): void {
	writer.u8(tags.MAP_EXT);
	writer.u32(term.entries.length);
	for (const [key, value] of term.entries) {
		writeTerm(writer, key, depth + 1);
		writeTerm(writer, value, depth + 1);
	}
}

function writeBitBinary(writer: Writer, term: BitBinary): void {
	const {data, bits} = term;
	if (!Number.isInteger(bits) || bits < 1 || bits > 8 || data.byteLength === 0) {
		fail('a bitstring that is not 1..8 bits of a non-empty last byte', {bytes: data.byteLength, bits});
	}
	writer.u8(tags.BIT_BINARY_EXT);
	writer.u32(data.byteLength);
	writer.u8(bits);
	writer.bytes(data.subarray(0, -1));
	writer.u8((data[data.byteLength - 1] ?? 0) & (0xff << (8 - bits)) & 0xff);
}

function writeRef(writer: Writer, term: Ref): void {
	if (!Array.isArray(term.ids) || term.ids.length > MAX_REF_IDS) {
		fail(`a reference with more than ${MAX_REF_IDS} id words`, term.ids);
	}
	writer.u8(tags.NEWER_REFERENCE_EXT);
	writer.u16(term.ids.length);
	writeAtom(writer, term.node);
	writer.u32(checkU32(term.creation, 'a reference creation'));
	for (const id of term.ids) {
		writer.u32(checkU32(id, 'a reference id word'));
	}
}

function writePort(writer: Writer, term: Port): void {
	const {id} = term;
	const valid = typeof id === 'bigint' ? id >= 0n && id <= MAX_U64 : Number.isSafeInteger(id) && id >= 0;
	if (!valid) {
		fail('a port id that is not an unsigned 64-bit integer', id);
	}
	if (id <= MAX_U32) {
		writer.u8(tags.NEW_PORT_EXT);
		writeAtom(writer, term.node);
		writer.u32(Number(id));
	} else {
		writer.u8(tags.V4_PORT_EXT);
		writeAtom(writer, term.node);
		writer.u64(BigInt(id));
	}
	writer.u32(checkU32(term.creation, 'a port creation'));
}

function checkU32(value: number, what: string): number {
	if (!Number.isInteger(value) || value < 0 || value > MAX_U32) {
		fail(`${what} that is not an unsigned 32-bit integer`, value);
	}
	return value;
}

/** A short name for a value's kind; safe on deep or cyclic values. */
function kindOf(value: unknown): string {
	if (typeof value === 'object' && value !== null) {
		return Array.isArray(value) ? 'array' : value.constructor.name;
	}
	return typeof value;
}
