import {deflateSync} from 'node:zlib';
import test from 'ava';
import type {ExecutionContext} from 'ava';
import {TermError} from '../../../../daemon/lib/erlang-term/index.ts';
import {
	BitBinary, ErlFloat, ErlFun, Pid, Port, Ref, atom, decodeTerm, decodeTermAt, encodeTerm, formatTerm, tuple,
	MAX_DEPTH, MAX_DECOMPRESSED_SIZE,
} from '../../../../daemon/lib/erlang-term/index.ts';
import type {Term} from '../../../../daemon/lib/erlang-term/index.ts';

const u32 = (value: number): number[] => [value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff];
const u16 = (value: number): number[] => [value >>> 8, value & 0xff];
const smallAtom = (name: string): number[] => [119, Buffer.byteLength(name), ...Buffer.from(name)];
const bytes = (...parts: (number | number[])[]): Buffer => Buffer.from(parts.flat());

function compressed(body: Buffer, declaredSize = body.length): number[] {
	return [80, ...u32(declaredSize), ...deflateSync(body)];
}

const decodes = test.macro({
	exec(t, input: Buffer, expected: Term) {
		t.deepEqual(decodeTerm(input), expected);
	},
	title: (title = '') => `decodes ${title}`,
});

test('LIST_EXT with no elements as its tail, like erts', decodes, bytes(131, 108, u32(0), 97, 1), 1);
test('LIST_EXT with no elements and a nil tail as []', decodes, bytes(131, 108, u32(0), 106), []);
test('an empty BIT_BINARY_EXT as an empty binary', decodes, bytes(131, 77, u32(0), 0), Buffer.alloc(0));
test('BIT_BINARY_EXT with its unused bits cleared', decodes, bytes(131, 77, u32(1), 3, 0xff), new BitBinary(Buffer.from([0xe0]), 3));
test('any non-zero big sign as negative, like erts', decodes, bytes(131, 110, 1, 2, 5), -5);
test('a big with no digits as 0', decodes, bytes(131, 110, 0, 1), 0);
test('a big that fits as a number', decodes, bytes(131, 111, u32(2), 0, 1, 1), 257);
test('a 2^53 big as a bigint', decodes, bytes(131, 110, 7, 0, 0, 0, 0, 0, 0, 0, 0x20), 2n ** 53n);
test('SMALL_ATOM_EXT as latin1', decodes, bytes(131, 115, 2, 0xe9, 0x74), atom('ét'));
test('ATOM_UTF8_EXT', decodes, bytes(131, 118, u16(6), ...Buffer.from('日本')), atom('日本'));
test('an atom keeping a leading byte order mark', decodes, bytes(131, 119, 3, 0xef, 0xbb, 0xbf), atom('\ufeff'));
test('FLOAT_EXT', decodes, bytes(131, 99, ...Buffer.from('-2.50000000000000000000e+01'), 0, 0, 0, 0), new ErlFloat(-25));
test('negative zero', decodes, bytes(131, 70, 0x80, 0, 0, 0, 0, 0, 0, 0), new ErlFloat(-0));
test('PID_EXT', decodes, bytes(131, 103, smallAtom('n@h'), u32(5), u32(6), 2), new Pid(atom('n@h'), 5, 6, 2));
test('REFERENCE_EXT', decodes, bytes(131, 101, smallAtom('n@h'), u32(9), 1), new Ref(atom('n@h'), 1, [9]));
test('NEW_REFERENCE_EXT', decodes, bytes(131, 114, u16(2), smallAtom('n@h'), 3, u32(1), u32(2)), new Ref(atom('n@h'), 3, [1, 2]));
test('NEWER_REFERENCE_EXT with no ids, like erts', decodes, bytes(131, 90, u16(0), smallAtom('n@h'), u32(3)), new Ref(atom('n@h'), 3, []));
test('PORT_EXT', decodes, bytes(131, 102, smallAtom('n@h'), u32(4), 1), new Port(atom('n@h'), 4, 1));
test('V4_PORT_EXT with a 64-bit id', decodes, bytes(131, 120, smallAtom('n@h'), 0xff, 0, 0, 0, 0, 0, 0, 1, u32(7)), new Port(atom('n@h'), 0xff00_0000_0000_0001n, 7));
test('V4_PORT_EXT with a small id', decodes, bytes(131, 120, smallAtom('n@h'), u32(0), u32(5), u32(7)), new Port(atom('n@h'), 5, 7));
test('EXPORT_EXT with an INTEGER_EXT arity', decodes, bytes(131, 113, smallAtom('m'), smallAtom('f'), 98, u32(2)), new ErlFun(113, bytes(smallAtom('m'), smallAtom('f'), 98, u32(2))));
test('a compressed term', decodes, bytes(131, compressed(bytes(104, 2, smallAtom('ok'), 97, 1))), tuple(atom('ok'), 1));
test(`terms nested ${MAX_DEPTH - 1} levels deep`, decodes, bytes(131, Array.from({length: MAX_DEPTH - 1}, () => [104, 1]).flat(), 106), nest(MAX_DEPTH - 1));

function nest(levels: number): Term {
	let term: Term = [];
	for (let level = 0; level < levels; level++) {
		term = tuple(term);
	}
	return term;
}

test('decodeTermAt returns where a term ends, also after a compressed one', t => {
	const first = bytes(131, compressed(bytes(109, u32(3), 1, 2, 3)));
	const input = Buffer.concat([Buffer.from([0xaa]), first, encodeTerm(atom('next'))]);
	const one = decodeTermAt(input, 1);
	t.deepEqual(one.term, Buffer.from([1, 2, 3]));
	t.is(one.end, 1 + first.length);
	const two = decodeTermAt(input, one.end);
	t.deepEqual(two.term, atom('next'));
	t.is(two.end, input.length);
});

test('decoded binaries do not alias the input buffer', t => {
	const input = bytes(131, 109, u32(2), 1, 2);
	const term = decodeTerm(input);
	input[6] = 9;
	t.deepEqual(term, Buffer.from([1, 2]));
});

function assertDecodeError(t: ExecutionContext, action: () => unknown, message: RegExp): void {
	const error = t.throws(action, {instanceOf: TermError, message});
	t.is(error?.code, 'ERR_ETF_DECODE');
}

const rejects = test.macro({
	exec(t, input: Buffer, message: RegExp) {
		assertDecodeError(t, () => decodeTerm(input), message);
	},
	title: (title = '') => `rejects ${title}`,
});

const hugeAtom = (tag: number, name: string): Buffer => bytes(131, tag, u16(Buffer.byteLength(name)), ...Buffer.from(name, tag === 100 ? 'latin1' : 'utf8'));

test('empty input', rejects, Buffer.alloc(0), /at offset 0: the input is empty/);
test('a wrong version byte', rejects, bytes(130, 106), /expected the version byte 131, found 130/);
test('trailing bytes', rejects, bytes(131, 106, 106), /at offset 2: 1 bytes follow the term/);
test('a version byte alone', rejects, bytes(131), /offset 1: the input ends where a term should start/);
test('a list longer than the input, at once', rejects, bytes(131, 108, u32(0xffff_ffff), Array.from({length: 10}, () => 106)), /LIST_EXT \(108\) at offset 1: claims 4294967295 elements and a tail but only 10 bytes remain/);
test('a tuple longer than the input', rejects, bytes(131, 104, 5, 106, 106), /SMALL_TUPLE_EXT \(104\) at offset 1: claims 5 elements but only 2 bytes remain/);
test('a large tuple longer than the input', rejects, bytes(131, 105, u32(0xffff_ffff), 106), /LARGE_TUPLE_EXT \(105\) at offset 1: claims 4294967295 elements/);
test('a map longer than the input', rejects, bytes(131, 116, u32(0x8000_0000), 106, 106), /MAP_EXT \(116\) at offset 1: claims 2147483648 entries/);
test('a map with a repeated key', rejects, bytes(131, 116, u32(2), smallAtom('a'), 97, 1, 100, u16(1), 97, 97, 2), /MAP_EXT \(116\) at offset 1: the key at offset 11 repeats an earlier key/);
test('a binary longer than the input', rejects, bytes(131, 109, u32(0xffff_ffff), 1, 2), /BINARY_EXT \(109\) at offset 1: the data needs 4294967295 bytes but only 2 remain/);
test('a truncated string', rejects, bytes(131, 107, u16(3), 97), /STRING_EXT \(107\) at offset 1: the characters needs 3 bytes/);
test('a truncated integer', rejects, bytes(131, 98, 0, 0), /INTEGER_EXT \(98\) at offset 1: the value needs 4 bytes but only 2 remain/);
test('an atom that is not UTF-8', rejects, bytes(131, 119, 2, 0xc3, 0x28), /SMALL_ATOM_UTF8_EXT \(119\) at offset 1: the name is not valid UTF-8/);
test('a latin1 atom of 256 characters', rejects, hugeAtom(100, 'a'.repeat(256)), /ATOM_EXT \(100\) at offset 1: the name has more than 255 characters/);
test('a UTF-8 atom of 256 characters', rejects, hugeAtom(118, 'é'.repeat(256)), /ATOM_UTF8_EXT \(118\) at offset 1: the name has more than 255/);
test('a NaN float', rejects, bytes(131, 70, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0), /NEW_FLOAT_EXT \(70\) at offset 1: NaN is not a float Erlang can hold/);
test('an infinite float', rejects, bytes(131, 70, 0xff, 0xf0, 0, 0, 0, 0, 0, 0), /-Infinity is not a float/);
test('a FLOAT_EXT that is not a number', rejects, bytes(131, 99, ...Buffer.from('1.5x'.padEnd(31, '\0'))), /FLOAT_EXT \(99\) at offset 1: "1.5x" is not a float/);
test('an overflowing FLOAT_EXT', rejects, bytes(131, 99, ...Buffer.from('1e999'.padEnd(31, '\0'))), /Infinity is not a float/);
test('a bitstring using 0 bits of a byte', rejects, bytes(131, 77, u32(1), 0, 1), /BIT_BINARY_EXT \(77\) at offset 1: 0 bits used in the last of 1 bytes is impossible/);
test('a bitstring using 9 bits of a byte', rejects, bytes(131, 77, u32(1), 9, 1), /9 bits used/);
test('a bitstring with bits but no bytes', rejects, bytes(131, 77, u32(0), 3), /3 bits used in the last of 0 bytes/);
test('a reference with 6 ids', rejects, bytes(131, 90, u16(6), smallAtom('n'), u32(0), Array.from({length: 6}, () => u32(1)).flat()), /NEWER_REFERENCE_EXT \(90\) at offset 1: 6 id words is more than the 5/);
test('a pid whose node is not an atom', rejects, bytes(131, 88, 97, 1, u32(1), u32(1), u32(1)), /NEW_PID_EXT \(88\) at offset 1: the node at offset 2 is not an atom/);
test('a fun whose size is below 4', rejects, bytes(131, 112, u32(3)), /NEW_FUN_EXT \(112\) at offset 1: the size field claims 3 bytes/);
test('a fun longer than the input', rejects, bytes(131, 112, u32(1000), 0), /NEW_FUN_EXT \(112\) at offset 1: the size field claims 1000 bytes but 5 remain/);
test('a fun whose fields overrun its size', rejects, bytes(131, 112, u32(30), Array.from({length: 25}, () => 0), smallAtom('m'), 97, 1, 97, 1, 106), /NEW_FUN_EXT \(112\) at offset 1: the size field claims|needs \d+ bytes but only/);
test('an export fun with a 256 arity', rejects, bytes(131, 113, smallAtom('m'), smallAtom('f'), 98, u32(256)), /EXPORT_EXT \(113\) at offset 1: the arity 256 is outside 0..255/);
test('an export fun with an atom arity', rejects, bytes(131, 113, smallAtom('m'), smallAtom('f'), smallAtom('x')), /EXPORT_EXT \(113\) at offset 1: the arity at offset 8 is not an integer/);
test('a nested compressed term', rejects, bytes(131, 104, 1, compressed(bytes(106))), /COMPRESSED \(80\) at offset 3: a compressed term may only follow the version byte/);
test('a compressed term declaring 0 bytes', rejects, bytes(131, 80, u32(0), ...deflateSync(Buffer.alloc(0))), /COMPRESSED \(80\) at offset 1: the declared uncompressed size 0 is outside/);
test('a compressed term declaring too much', rejects, bytes(131, 80, u32(MAX_DECOMPRESSED_SIZE + 1), 0x78, 0x9c), /the declared uncompressed size 67108865 is outside 1\.\.67108864/);
test('corrupt zlib data', rejects, bytes(131, 80, u32(10), 1, 2, 3, 4), /COMPRESSED \(80\) at offset 1: the zlib data is corrupt/);
test('truncated zlib data', rejects, bytes(131, compressed(Buffer.alloc(100, 106)).slice(0, 10)), /the zlib data is corrupt/);
test('zlib data inflating past the declared size', rejects, bytes(131, compressed(bytes(109, u32(100), Array.from({length: 100}, () => 1)), 20)), /the data inflates to more than the declared 20 bytes/);
test('zlib data inflating short of the declared size', rejects, bytes(131, compressed(bytes(106), 5)), /the data inflates to 1 bytes, not the declared 5/);
test('a compressed term followed by junk inside', rejects, bytes(131, compressed(bytes(106, 106))), /at offset 1 in the data decompressed from offset 1: 1 bytes follow the term/);
test('an error inside compressed data with its inner offset', rejects, bytes(131, compressed(bytes(104, 2, 106, 200))), /unknown tag 200 at offset 3 in the data decompressed from offset 1: this byte is not a term tag/);
test('atom cache references', rejects, bytes(131, 82, 0), /ATOM_CACHE_REF \(82\) at offset 1: atom cache references are not supported/);
test('LOCAL_EXT', rejects, bytes(131, 121, 0), /LOCAL_EXT \(121\) at offset 1/);
test('an unknown tag', rejects, bytes(131, 104, 1, 1), /unknown tag 1 at offset 3: this byte is not a term tag/);
test('a big beyond the supported size before reading it', rejects, bytes(131, 111, u32(0x0100_0001), 0), /LARGE_BIG_EXT \(111\) at offset 1: a 16777217-byte integer is larger than/);
test(`nesting ${MAX_DEPTH + 1} levels deep`, rejects, bytes(131, Array.from({length: MAX_DEPTH + 1}, () => [104, 1]).flat(), 106), new RegExp(`SMALL_TUPLE_EXT \\(104\\) at offset ${2 * MAX_DEPTH + 1}: terms nest deeper than ${MAX_DEPTH} levels`));

test('decodeTermAt rejects a start offset outside the input', t => {
	for (const offset of [-1, 3, 0.5, Number.NaN]) {
		assertDecodeError(t, () => decodeTermAt(bytes(131, 106), offset), /the start offset .* lies outside the 2-byte input/);
	}
});

test('100000 nested lists and tuples fail with the typed error, not a stack overflow', t => {
	const levels = 100_000;
	const lists = Buffer.concat([bytes(131), Buffer.alloc(levels * 5, 0), Buffer.alloc(levels + 1, 106)]);
	for (let level = 0; level < levels; level++) {
		lists.set([108, 0, 0, 0, 1], 1 + level * 5);
	}
	assertDecodeError(t, () => decodeTerm(lists), /terms nest deeper than/);
	const tuples = Buffer.concat([bytes(131), Buffer.from(new Array<number>(levels).fill(0).flatMap(() => [104, 1])), bytes(106)]);
	assertDecodeError(t, () => decodeTerm(tuples), /terms nest deeper than/);
	const improper = Buffer.concat([bytes(131), Buffer.from(new Array<number>(levels).fill(0).flatMap(() => [108, 0, 0, 0, 1, 97, 1])), bytes(106)]);
	assertDecodeError(t, () => decodeTerm(improper), /terms nest deeper than/);
});

test('error messages say which tag at which offset', t => {
	const error = t.throws(() => decodeTerm(bytes(131, 104, 2, 97, 1, 109, u32(50))), {instanceOf: TermError});
	t.is(error?.message, 'Cannot decode Erlang term: BINARY_EXT (109) at offset 5: the data needs 50 bytes but only 0 remain.');
	t.truthy(error?.hint);
});

test('formatTerm names what a decoded error term was', t => {
	t.is(formatTerm(decodeTerm(bytes(131, 104, 2, smallAtom('error'), 107, u16(3), 97, 98, 99))), '{error,"abc"}');
});
