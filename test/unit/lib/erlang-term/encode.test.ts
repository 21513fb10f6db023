import test from 'ava';
import {TermError} from '../../../../daemon/lib/erlang-term/index.ts';
import {
	BitBinary, ErlFloat, ErlFun, ImproperList, Pid, Port, Ref, Tuple, atom, decodeTerm, encodeTerm, tuple,
} from '../../../../daemon/lib/erlang-term/index.ts';
import type {Atom, Term} from '../../../../daemon/lib/erlang-term/index.ts';

const encodesAs = test.macro({
	exec(t, term: Term, hex: string) {
		t.is(encodeTerm(term).toString('hex'), `83${hex}`);
	},
	title: (title = '') => `encodes ${title}`,
});

test('0..255 as SMALL_INTEGER_EXT', encodesAs, 255, '61ff');
test('256 as INTEGER_EXT', encodesAs, 256, '6200000100');
test('-1 as INTEGER_EXT', encodesAs, -1, '62ffffffff');
test('2^31 as SMALL_BIG_EXT', encodesAs, 2 ** 31, '6e040000000080');
test('a small bigint in the smallest form', encodesAs, 7n, '6107');
test('an integral number beyond 2^53 as a big', encodesAs, 2 ** 64, `6e0900${'00'.repeat(8)}01`);
test('-(2^64) as a negative big', encodesAs, -(2n ** 64n), '6e09010000000000000000' + '01');
test('a non-integral number as a float', encodesAs, 0.5, '463fe0000000000000');
test('ErlFloat(1) as a float', encodesAs, new ErlFloat(1), '463ff0000000000000');
test('-0 as the integer 0', encodesAs, -0, '6100');
test('atoms as SMALL_ATOM_UTF8_EXT', encodesAs, atom('é'), '7702c3a9');
test('atoms over 255 bytes as ATOM_UTF8_EXT', encodesAs, atom('é'.repeat(200)), `760190${'c3a9'.repeat(200)}`);
test('a latin1 string as STRING_EXT', encodesAs, 'hé', '6b000268e9');
test('the empty string as an empty STRING_EXT', encodesAs, '', '6b0000');
test('a string with a character above 255 as a list of code points', encodesAs, 'a日😀', '6c00000003616162000065e5620001f6006a');
test('an empty array as NIL_EXT', encodesAs, [], '6a');
test('an improper list', encodesAs, new ImproperList([1], 2), '6c0000000161016102');
test('a tuple', encodesAs, tuple(1, atom('a')), '680261017701' + '61');
test('a 256-element tuple as LARGE_TUPLE_EXT', encodesAs, new Tuple(new Array<Term>(256).fill([])), `6900000100${'6a'.repeat(256)}`);
test('a bitstring with its unused bits cleared', encodesAs, new BitBinary(Buffer.from([1, 0xff]), 2), '4d000000020201c0');
test('a pid as NEW_PID_EXT', encodesAs, new Pid(atom('n'), 1, 2, 3), '5877016e000000010000000200000003');
test('a reference as NEWER_REFERENCE_EXT', encodesAs, new Ref(atom('n'), 3, [1, 2]), '5a00027701' + '6e000000030000000100000002');
test('a 32-bit port id as NEW_PORT_EXT', encodesAs, new Port(atom('n'), 0xffff_ffff, 1), '597701' + '6effffffff00000001');
test('a larger port id as V4_PORT_EXT', encodesAs, new Port(atom('n'), 2 ** 32, 1), '787701' + '6e000000010000000000000001');
test('a fun as its tag and raw bytes', encodesAs, new ErlFun(113, Buffer.from('7701' + '6d7701' + '6661' + '00', 'hex')), '7177016d77016661' + '00');

const refuses = test.macro({
	exec(t, value: unknown, message: RegExp) {
		const error = t.throws(() => encodeTerm(value as Term), {instanceOf: TermError, message});
		t.is(error?.code, 'ERR_ETF_ENCODE');
	},
	title: (title = '') => `refuses ${title}`,
});

test('NaN', refuses, Number.NaN, /^Cannot encode an Erlang term: a number that is not finite, got `NaN` \(number\)\.$/);
test('Infinity', refuses, Number.POSITIVE_INFINITY, /a number that is not finite/);
test('an ErlFloat holding Infinity', refuses, new ErlFloat(Number.NEGATIVE_INFINITY), /a float that is not a finite number/);
test('an atom over 255 characters', refuses, atom('a'.repeat(256)), /an atom name longer than 255 characters, got `"aaaa/);
test('an atom with a lone surrogate', refuses, atom('\ud800x'), /an atom whose name is not a well-formed string/);
test('null', refuses, null, /a value that is not a term, got `null` \(null\)/);
test('undefined', refuses, undefined, /a value that is not a term, got `undefined` \(undefined\)/);
test('a boolean', refuses, true, /got `true` \(boolean\)/);
test('a plain object', refuses, {a: 1}, /got `\{"a":1\}` \(object\)/);
test('a bitstring using 0 bits', refuses, new BitBinary(Buffer.from([1]), 0), /a bitstring that is not 1\.\.8 bits/);
test('an empty bitstring', refuses, new BitBinary(Buffer.alloc(0), 3), /a bitstring/);
test('an improper list without elements', refuses, new ImproperList([], 1), /an improper list without elements/);
test('an improper list ending in []', refuses, new ImproperList([1], []), /an improper list whose tail is \[\]/);
test('a pid with a negative id', refuses, new Pid(atom('n'), -1, 0, 0), /a pid id that is not an unsigned 32-bit integer, got `-1`/);
test('a pid whose node is not an atom', refuses, new Pid('n' as unknown as Atom, 1, 0, 0), /a node name that is not an Atom/);
test('a reference with 6 ids', refuses, new Ref(atom('n'), 0, [1, 2, 3, 4, 5, 6]), /a reference with more than 5 id words/);
test('a port id of 2^64', refuses, new Port(atom('n'), 2n ** 64n, 0), /a port id that is not an unsigned 64-bit integer/);
test('a fun with another tag', refuses, new ErlFun(1, Buffer.alloc(0)), /a fun whose tag is neither/);
test('a symbol inside a list, naming its type', refuses, [1, Symbol('x')], /got `Symbol\(x\)` \(symbol\)/);

test('refuses 100000 nested arrays and cyclic ones with the typed error', t => {
	let deep: Term = [];
	for (let level = 0; level < 100_000; level++) {
		deep = [deep];
	}
	t.throws(() => encodeTerm(deep), {instanceOf: TermError, message: /nested deeper than 1000 levels/});
	const cyclic: Term[] = [];
	cyclic.push(cyclic);
	t.throws(() => encodeTerm(cyclic), {instanceOf: TermError, message: /nested deeper than 1000 levels \(is it cyclic\?\)/});
});

test('a string longer than 65535 bytes becomes a list and decodes as one', t => {
	const text = 'x'.repeat(65_536);
	const bytes = encodeTerm(text);
	t.is(bytes[1], 108);
	t.deepEqual(decodeTerm(bytes), [...text].map(character => character.charCodeAt(0)));
});

test('encoding grows its buffer correctly across many writes', t => {
	const term = new Array<Term>(10_000).fill(0).map((_, index) => tuple(index, atom(`a${index}`), Buffer.alloc(index % 50, 1)));
	t.deepEqual(decodeTerm(encodeTerm(term)), term);
});
