import {describeBytes} from '../errors.ts';

/**
 * Whether a beam file is whole. `make install` rewrites beams in place, so a
 * watcher sees files mid-write: a complete beam is `FOR1`, a big-endian u32
 * length, `BEAM`, and exactly that length + 8 bytes in all.
 */
export const BEAM_HEADER_SIZE = 12;

export type BeamHeaderCheck =
	| {readonly state: 'complete'}
	/** `expectedSize` is BEAM_HEADER_SIZE while the length field itself is not yet written. */
	| {readonly state: 'incomplete'; readonly expectedSize: number; readonly actualSize: number}
	| {readonly state: 'invalid'; readonly reason: string};

const FORM_MAGIC = 'FOR1';
const FORM_TYPE = 'BEAM';
/** The length counts the form type `BEAM` and the chunks after it. */
const MIN_FORM_LENGTH = 4;

/** Judge a beam from its first bytes (`header`, up to 12) and the file's current size. */
export function checkBeamHeader(header: Uint8Array, fileSize: number): BeamHeaderCheck {
	const bytes = Buffer.from(header.buffer, header.byteOffset, Math.min(header.byteLength, BEAM_HEADER_SIZE));
	const badMagic = checkMagic(bytes, 0, FORM_MAGIC) ?? checkMagic(bytes, 8, FORM_TYPE);
	if (badMagic !== undefined) {
		return {state: 'invalid', reason: badMagic};
	}
	if (bytes.byteLength < 8) {
		return {state: 'incomplete', expectedSize: BEAM_HEADER_SIZE, actualSize: fileSize};
	}
	const formLength = bytes.readUInt32BE(4);
	if (formLength < MIN_FORM_LENGTH) {
		return {state: 'invalid', reason: `the length field says ${formLength} bytes, less than the ${MIN_FORM_LENGTH} that "${FORM_TYPE}" alone takes`};
	}
	const expectedSize = formLength + 8;
	if (bytes.byteLength < BEAM_HEADER_SIZE || fileSize < expectedSize) {
		return {state: 'incomplete', expectedSize, actualSize: fileSize};
	}
	if (fileSize > expectedSize) {
		return {state: 'invalid', reason: `the file has ${fileSize} bytes but its header says ${expectedSize} (${fileSize - expectedSize} too many)`};
	}
	return {state: 'complete'};
}

/** Compare the part of `expected` at `offset` that `bytes` already holds. */
function checkMagic(bytes: Buffer, offset: number, expected: string): string | undefined {
	const found = bytes.subarray(offset, offset + expected.length);
	if (found.byteLength === 0 || found.equals(Buffer.from(expected, 'latin1').subarray(0, found.byteLength))) {
		return undefined;
	}
	// Hex only: the file may be anything a symlink points at (/etc/shadow), and its text must not reach a log.
	return `expected "${expected}" at offset ${offset}, found ${describeBytes(found)}: not a beam file`;
}
