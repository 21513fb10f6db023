import test from 'ava';
import {BEAM_HEADER_SIZE, checkBeamHeader} from '../../../daemon/beam/beam-header.ts';
import type {BeamHeaderCheck} from '../../../daemon/beam/beam-header.ts';

/** `FOR1`, the length field, `BEAM`. */
function header(formLength: number, magic = 'FOR1', formType = 'BEAM'): Buffer {
	const bytes = Buffer.alloc(12);
	bytes.write(magic, 0, 'latin1');
	bytes.writeUInt32BE(formLength, 4);
	bytes.write(formType, 8, 'latin1');
	return bytes;
}

const checks = test.macro({
	exec(t, bytes: Uint8Array, fileSize: number, expected: BeamHeaderCheck) {
		t.deepEqual(checkBeamHeader(bytes, fileSize), expected);
	},
	title: (title = '') => `checkBeamHeader: ${title}`,
});

test('complete when the size is the length + 8', checks, header(572), 580, {state: 'complete'});
test('incomplete when shorter than the length says', checks, header(572), 300, {state: 'incomplete', expectedSize: 580, actualSize: 300});
test('incomplete with nothing written yet', checks, Buffer.alloc(0), 0, {state: 'incomplete', expectedSize: BEAM_HEADER_SIZE, actualSize: 0});
test('incomplete with part of the magic', checks, Buffer.from('FO'), 2, {state: 'incomplete', expectedSize: BEAM_HEADER_SIZE, actualSize: 2});
test('incomplete with the length but not the form type', checks, header(572).subarray(0, 9), 9, {state: 'incomplete', expectedSize: 580, actualSize: 9});
test('incomplete while fewer than 12 bytes were read, whatever the size', checks, header(572).subarray(0, 10), 580, {state: 'incomplete', expectedSize: 580, actualSize: 580});
test('only the first 12 bytes count', checks, Buffer.concat([header(572), Buffer.from('rest of the file')]), 580, {state: 'complete'});
test('invalid when larger than the length says', checks, header(572), 590, {state: 'invalid', reason: 'the file has 590 bytes but its header says 580 (10 too many)'});
test('invalid with the wrong magic', checks, header(572, 'FOR2'), 580, {state: 'invalid', reason: 'expected "FOR1" at offset 0, found 4 bytes: 46 4f 52 32: not a beam file'});
test('invalid with a wrong partial magic', checks, Buffer.from([0x7f, 0x45]), 2, {state: 'invalid', reason: 'expected "FOR1" at offset 0, found 2 bytes: 7f 45: not a beam file'});
test('invalid with the wrong form type', checks, header(572, 'FOR1', 'AIFF'), 580, {state: 'invalid', reason: 'expected "BEAM" at offset 8, found 4 bytes: 41 49 46 46: not a beam file'});
test('invalid with a wrong partial form type', checks, header(572).subarray(0, 10).fill(0x58, 8), 10, {state: 'invalid', reason: 'expected "BEAM" at offset 8, found 2 bytes: 58 58: not a beam file'});
test('invalid with a length too small for the form type', checks, header(2), 10, {state: 'invalid', reason: 'the length field says 2 bytes, less than the 4 that "BEAM" alone takes'});
test('complete for the smallest possible form', checks, header(4), 12, {state: 'complete'});
test('complete for a length near 2^32', checks, header(0xffff_fff0), 0xffff_fff8, {state: 'complete'});
