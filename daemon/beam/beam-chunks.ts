import {TextDecoder} from 'node:util';
import {ReloaderError, describeBytes} from '../errors.ts';
import {decodeTerm, formatTerm, isAtom, isTuple} from '../lib/erlang-term/index.ts';
import type {Term} from '../lib/erlang-term/index.ts';
import {BEAM_HEADER_SIZE, checkBeamHeader} from './beam-header.ts';

const CHUNK_HEADER_SIZE = 8;
/** The default vsn is the MD5 of the code: 128 bits, shown as 32 hex digits. */
const MD5_HEX_DIGITS = 32;
const MAX_VSN_TEXT = 10_000;

function invalid(message: string, cause?: unknown): ReloaderError {
	return new ReloaderError('ERR_BEAM_INVALID', message, {cause, hint: 'Rebuild the module; a beam that erlc wrote completely never fails this check.'});
}

/**
 * The IFF chunks of a complete beam, by id (`AtU8`, `Code`, `Attr`, ...). The
 * buffers are views into `bytes`. Each chunk is `id(4) size(u32) data`,
 * padded to a multiple of 4 bytes.
 */
export function readBeamChunks(bytes: Uint8Array): Map<string, Buffer> {
	const check = checkBeamHeader(bytes, bytes.byteLength);
	if (check.state === 'incomplete') {
		throw new ReloaderError('ERR_BEAM_INCOMPLETE', `The beam is incomplete: ${check.actualSize} of ${check.expectedSize} bytes.`, {
			retryable: true,
			hint: 'The file is probably still being written: read it again once the writer is done.',
		});
	}
	if (check.state === 'invalid') {
		throw invalid(`The beam is invalid: ${check.reason}.`);
	}
	const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
	const chunks = new Map<string, Buffer>();
	let offset = BEAM_HEADER_SIZE;
	while (offset < buffer.byteLength) {
		if (buffer.byteLength - offset < CHUNK_HEADER_SIZE) {
			throw invalid(`The beam ends inside a chunk header at offset ${offset}.`);
		}
		const idBytes = buffer.subarray(offset, offset + 4);
		if (!idBytes.every(byte => byte >= 0x20 && byte < 0x7f)) {
			throw invalid(`The chunk id at offset ${offset} is not text: ${describeBytes(idBytes)}.`);
		}
		const id = idBytes.toString('latin1');
		const size = buffer.readUInt32BE(offset + 4);
		const start = offset + CHUNK_HEADER_SIZE;
		if (size > buffer.byteLength - start) {
			throw invalid(`Chunk "${id}" at offset ${offset} claims ${size} bytes but only ${buffer.byteLength - start} remain.`);
		}
		if (chunks.has(id)) {
			throw invalid(`Chunk "${id}" appears twice (again at offset ${offset}).`);
		}
		chunks.set(id, buffer.subarray(start, start + size));
		// The last chunk's padding may be missing from some writers' files.
		offset = Math.min(buffer.byteLength, start + Math.ceil(size / 4) * 4);
	}
	return chunks;
}

/**
 * The module's `vsn` attribute from the `Attr` chunk: for the default `[MD5]`
 * a 32-digit lowercase hex string (what `beam_lib:version/1` holds, in hex), a
 * hand-set `-vsn("1.2")` as `1.2`, any other value in Erlang syntax.
 * Undefined when the beam has no `Attr` chunk or no vsn in it.
 */
export function readBeamVersion(bytes: Uint8Array): string | undefined {
	return versionOfChunks(readBeamChunks(bytes));
}

/** readBeamVersion over chunks already read. */
export function versionOfChunks(chunks: ReadonlyMap<string, Buffer>): string | undefined {
	const attr = chunks.get('Attr');
	if (attr === undefined) {
		return undefined;
	}
	const attributes = decodeChunk('Attr', attr);
	if (!Array.isArray(attributes)) {
		throw invalid(`The "Attr" chunk holds ${formatTerm(attributes, 200)}, not a list of attributes.`);
	}
	for (const attribute of attributes) {
		if (isTuple(attribute, 2) && isAtom(attribute.elements[0], 'vsn')) {
			return formatVersion(attribute.elements[1] ?? []);
		}
	}
	return undefined;
}

function formatVersion(value: Term): string {
	if (Array.isArray(value) && value.length === 1) {
		const [only] = value;
		if ((typeof only === 'number' || typeof only === 'bigint') && only >= 0 && BigInt(only) < 1n << 128n) {
			return only.toString(16).padStart(MD5_HEX_DIGITS, '0');
		}
	}
	if (typeof value === 'string' && value.length > 0) {
		return value;
	}
	return formatTerm(value, MAX_VSN_TEXT);
}

function decodeChunk(id: string, data: Buffer): Term {
	try {
		return decodeTerm(data);
	} catch (error) {
		throw invalid(`The "${id}" chunk is not a valid Erlang term: ${error instanceof Error ? error.message : String(error)}`, error);
	}
}

/**
 * The module name: the first atom of the atom table, `AtU8` (UTF-8) or the
 * older `Atom` (latin1). OTP 28 writes a negative count when the lengths use
 * the compact encoding; both forms are read.
 */
export function readBeamModuleName(bytes: Uint8Array): string {
	return moduleNameOfChunks(readBeamChunks(bytes));
}

/** readBeamModuleName over chunks already read. */
export function moduleNameOfChunks(chunks: ReadonlyMap<string, Buffer>): string {
	const utf8 = chunks.get('AtU8');
	const table = utf8 ?? chunks.get('Atom');
	if (table === undefined) {
		throw invalid(`The beam has no atom table (neither an "AtU8" nor an "Atom" chunk; found ${[...chunks.keys()].join(', ')}).`);
	}
	const id = utf8 === undefined ? 'Atom' : 'AtU8';
	if (table.byteLength < 5) {
		throw invalid(`The "${id}" chunk is ${table.byteLength} bytes long, too short to hold an atom.`);
	}
	const count = table.readInt32BE(0);
	if (count === 0) {
		throw invalid(`The "${id}" chunk holds no atoms.`);
	}
	let offset = 4;
	let length = table.readUInt8(offset++);
	if (count < 0) {
		// Compact encoding of a small integer (tag 0): 0bLLLL0000 below 16, else 0bHHH01000 LLLLLLLL.
		if ((length & 0b1000) !== 0) {
			const low = table.readUInt8(offset++); // safe: at least 5 bytes
			length = ((length & 0b1110_0000) << 3) | low;
		} else {
			length >>= 4;
		}
	}
	if (length === 0 || length > table.byteLength - offset) {
		throw invalid(`The first atom in the "${id}" chunk claims ${length} bytes; ${table.byteLength - offset} remain.`);
	}
	const name = table.subarray(offset, offset + length);
	if (utf8 === undefined) {
		return name.toString('latin1');
	}
	try {
		return new TextDecoder('utf-8', {fatal: true}).decode(name);
	} catch (error) {
		throw invalid(`The module name in the "AtU8" chunk is not valid UTF-8: ${describeBytes(name)}.`, error);
	}
}
