/**
 * fast-check arbitraries for every term kind, shaped the way the decoder
 * returns them (safe integers as numbers, masked bitstrings, ...), so that
 * `decodeTerm(encodeTerm(t))` must give back `t` exactly.
 */
import fc from 'fast-check';
import {encodeTermBody} from '../../../../daemon/lib/erlang-term/encode.ts';
import {
	Atom, BitBinary, ErlFloat, ErlFun, ErlMap, ImproperList, Pid, Port, Ref, Tuple,
} from '../../../../daemon/lib/erlang-term/terms.ts';
import type {Term} from '../../../../daemon/lib/erlang-term/terms.ts';

const u32 = fc.nat({max: 0xffff_ffff});

function normalizeInteger(value: bigint): number | bigint {
	return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}

export const atomArbitrary = fc.oneof(
	fc.constantFrom('ok', 'error', 'true', 'undefined', 'mod_hello', 'Quoted', 'with space', '', 'héllo', '日本'),
	fc.string({unit: 'binary', maxLength: 30}),
	fc.string({unit: 'binary-ascii', minLength: 250, maxLength: 255}),
).map(name => new Atom(name));

export const integerArbitrary: fc.Arbitrary<number | bigint> = fc.oneof(
	fc.integer({min: 0, max: 255}),
	fc.integer({min: -(2 ** 31), max: 2 ** 31 - 1}),
	fc.maxSafeInteger(),
	fc.bigInt({min: -(1n << 80n), max: 1n << 80n}).map(normalizeInteger),
	fc.bigInt({min: 1n << 2040n, max: 1n << 2100n}).map(value => value * (value % 2n === 0n ? 1n : -1n)),
);

export const floatArbitrary = fc.double({noNaN: true, noDefaultInfinity: true}).map(value => new ErlFloat(value));

export const binaryArbitrary = fc.uint8Array({maxLength: 40}).map(bytes => Buffer.from(bytes));

export const bitBinaryArbitrary = fc.tuple(fc.uint8Array({minLength: 1, maxLength: 10}), fc.integer({min: 1, max: 8})).map(([bytes, bits]) => {
	const data = Buffer.from(bytes);
	data[data.length - 1] = (data[data.length - 1] ?? 0) & (0xff << (8 - bits));
	return new BitBinary(data, bits);
});

/** Charlists that travel as STRING_EXT. */
export const charlistArbitrary = fc.string({unit: 'binary-ascii', maxLength: 40});

const pidArbitrary = fc.tuple(atomArbitrary, u32, u32, u32).map(([node, id, serial, creation]) => new Pid(node, id, serial, creation));
const refArbitrary = fc.tuple(atomArbitrary, u32, fc.array(u32, {maxLength: 5})).map(([node, creation, ids]) => new Ref(node, creation, ids));
const portArbitrary = fc.tuple(atomArbitrary, fc.oneof(u32, fc.bigInt({min: 0n, max: (1n << 64n) - 1n}).map(normalizeInteger)), u32)
	.map(([node, id, creation]) => new Port(node, id, creation));

const exportFunArbitrary = fc.tuple(atomArbitrary, atomArbitrary, fc.integer({min: 0, max: 255})).map(([module, name, arity]) =>
	new ErlFun(113, Buffer.concat([encodeTermBody(module), encodeTermBody(name), encodeTermBody(arity)])));

/** A well-formed NEW_FUN_EXT body, with Size counting itself and everything after. */
export function makeNewFun(module: Atom, free: readonly Term[], pid: Pid): ErlFun {
	const fixed = Buffer.alloc(1 + 16 + 4 + 4);
	fixed.writeUInt8(0, 0);
	fixed.fill(0xab, 1, 17);
	fixed.writeUInt32BE(7, 17);
	fixed.writeUInt32BE(free.length, 21);
	const rest = Buffer.concat([fixed, encodeTermBody(module), encodeTermBody(7), encodeTermBody(123_456_789), encodeTermBody(pid), ...free.map(term => encodeTermBody(term))]);
	const size = Buffer.alloc(4);
	size.writeUInt32BE(rest.length + 4);
	return new ErlFun(112, Buffer.concat([size, rest]));
}

const leafArbitrary: fc.Arbitrary<Term> = fc.oneof(
	atomArbitrary, integerArbitrary, floatArbitrary, binaryArbitrary, bitBinaryArbitrary, charlistArbitrary,
	fc.constant<Term[]>([]), pidArbitrary, refArbitrary, portArbitrary, exportFunArbitrary,
);

/** Map keys the decoder can compare for duplicates; uniqueness is by this identity. */
const simpleKeyArbitrary: fc.Arbitrary<Term> = fc.oneof(atomArbitrary, integerArbitrary, charlistArbitrary, binaryArbitrary);

function keyIdentity(key: Term): string {
	if (key instanceof Atom) {
		return `a${key.name}`;
	}
	return Buffer.isBuffer(key) ? `b${key.toString('latin1')}` : `${typeof key}${String(key)}`;
}

export const {term: termArbitrary} = fc.letrec<{term: Term; list: Term[]; improper: ImproperList; tuple: Tuple; map: ErlMap; fun: ErlFun}>(tie => ({
	term: fc.oneof({depthSize: 'small', withCrossShrink: true}, leafArbitrary, tie('list'), tie('improper'), tie('tuple'), tie('map'), tie('fun')),
	list: fc.array(tie('term'), {maxLength: 5}),
	improper: fc.tuple(fc.array(tie('term'), {minLength: 1, maxLength: 4}), tie('term'))
		.filter(([, tail]) => !(Array.isArray(tail) && tail.length === 0))
		.map(([elements, tail]) => new ImproperList(elements, tail)),
	tuple: fc.array(tie('term'), {maxLength: 5}).map(elements => new Tuple(elements)),
	map: fc.uniqueArray(fc.tuple(simpleKeyArbitrary, tie('term')), {maxLength: 4, selector: ([key]) => keyIdentity(key)})
		.map(entries => new ErlMap(entries)),
	fun: fc.tuple(atomArbitrary, fc.array(tie('term'), {maxLength: 3}), pidArbitrary).map(([module, free, pid]) => makeNewFun(module, free, pid)),
}));
