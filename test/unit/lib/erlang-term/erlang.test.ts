/**
 * Terms written by `term_to_binary` in a real Erlang VM (OTP 25): decoded to
 * the expected JS values, and re-encoded byte for byte where the encoding is
 * canonical. OTP 25 writes latin1 atoms as ATOM_EXT by default, so the
 * canonical reference is `term_to_binary(T, [{minor_version, 2}])`, which
 * writes every atom as UTF-8 like encodeTerm does.
 */
import anyTest from 'ava';
import type {ExecutionContext, TestFn} from 'ava';
import {
	BitBinary, ErlFloat, ErlFun, ErlMap, ImproperList, Pid, Port, Ref, Tuple,
	atom, decodeTerm, encodeTerm, formatTerm, isAtom, tuple,
} from '../../../../daemon/lib/erlang-term/index.ts';
import type {Term} from '../../../../daemon/lib/erlang-term/index.ts';
import {runErlang} from './_erlang.ts';

interface Encodings {
	readonly standard: Buffer;
	readonly minor2: Buffer;
	readonly minor0: Buffer;
	readonly compressed: Buffer;
}

const test = anyTest as TestFn<{encodings: Map<string, Encodings>}>;

interface ErlangCase {
	readonly name: string;
	/** An Erlang expression; non-ASCII characters as \x{...} escapes. */
	readonly erlang: string;
	readonly expected?: Term;
	readonly check?: (t: ExecutionContext, term: Term) => void;
	/** Which of Erlang's encodings encodeTerm must reproduce exactly. */
	readonly sameBytesAs: 'minor2' | 'standard';
}

const nonode = atom('nonode@nohost');
const charlistOfA = 'a'.repeat(70_000);

const cases: readonly ErlangCase[] = [
	{name: 'atom', erlang: 'ok', expected: atom('ok'), sameBytesAs: 'minor2'},
	{name: 'quoted-atom', erlang: '\'Quoted atom\'', expected: atom('Quoted atom'), sameBytesAs: 'minor2'},
	{name: 'empty-atom', erlang: '\'\'', expected: atom(''), sameBytesAs: 'minor2'},
	{name: 'latin1-atom', erlang: '\'h\\x{e9}llo\'', expected: atom('héllo'), sameBytesAs: 'minor2'},
	{name: 'utf8-atom', erlang: '\'\\x{65e5}\\x{672c}\'', expected: atom('日本'), sameBytesAs: 'minor2'},
	{name: 'longest-atom', erlang: 'list_to_atom(lists:duplicate(255, $a))', expected: atom('a'.repeat(255)), sameBytesAs: 'minor2'},
	{name: 'long-utf8-atom', erlang: 'list_to_atom(lists:duplicate(100, 16#65e5))', expected: atom('日'.repeat(100)), sameBytesAs: 'minor2'},
	{name: 'zero', erlang: '0', expected: 0, sameBytesAs: 'minor2'},
	{name: 'small-int', erlang: '255', expected: 255, sameBytesAs: 'minor2'},
	{name: 'int', erlang: '256', expected: 256, sameBytesAs: 'minor2'},
	{name: 'negative-int', erlang: '-1', expected: -1, sameBytesAs: 'minor2'},
	{name: 'int32-max', erlang: '2147483647', expected: 2_147_483_647, sameBytesAs: 'minor2'},
	{name: 'int32-min', erlang: '-2147483648', expected: -2_147_483_648, sameBytesAs: 'minor2'},
	{name: 'above-int32', erlang: '2147483648', expected: 2_147_483_648, sameBytesAs: 'minor2'},
	{name: 'max-safe', erlang: '9007199254740991', expected: Number.MAX_SAFE_INTEGER, sameBytesAs: 'minor2'},
	{name: 'above-safe', erlang: '9007199254740992', expected: 9_007_199_254_740_992n, sameBytesAs: 'minor2'},
	{name: 'big', erlang: '1 bsl 100', expected: 1n << 100n, sameBytesAs: 'minor2'},
	{name: 'negative-big', erlang: '-(1 bsl 70)', expected: -(1n << 70n), sameBytesAs: 'minor2'},
	{name: 'large-big', erlang: '-(1 bsl 2100) + 12345', expected: -(1n << 2100n) + 12_345n, sameBytesAs: 'minor2'},
	{name: 'float', erlang: '1.5', expected: new ErlFloat(1.5), sameBytesAs: 'minor2'},
	{name: 'integral-float', erlang: '1.0', expected: new ErlFloat(1), sameBytesAs: 'minor2'},
	{name: 'pi', erlang: 'math:pi()', expected: new ErlFloat(Math.PI), sameBytesAs: 'minor2'},
	{name: 'huge-float', erlang: '-1.0e300', expected: new ErlFloat(-1e300), sameBytesAs: 'minor2'},
	{name: 'tiny-float', erlang: '5.0e-324', expected: new ErlFloat(5e-324), sameBytesAs: 'minor2'},
	{name: 'empty-binary', erlang: '<<>>', expected: Buffer.alloc(0), sameBytesAs: 'minor2'},
	{name: 'binary', erlang: '<<1,2,3,"hello">>', expected: Buffer.from([1, 2, 3, ...Buffer.from('hello')]), sameBytesAs: 'minor2'},
	{name: 'large-binary', erlang: 'binary:copy(<<"xy">>, 40000)', expected: Buffer.from('xy'.repeat(40_000)), sameBytesAs: 'minor2'},
	{name: 'bitstring', erlang: '<<1:3>>', expected: new BitBinary(Buffer.from([0b0010_0000]), 3), sameBytesAs: 'minor2'},
	{name: 'long-bitstring', erlang: '<<255, 16#abcd:16, 5:7>>', expected: new BitBinary(Buffer.from([255, 0xab, 0xcd, 0b0000_1010]), 7), sameBytesAs: 'minor2'},
	{name: 'nil', erlang: '[]', expected: [], sameBytesAs: 'minor2'},
	{name: 'charlist', erlang: '"abc"', expected: 'abc', sameBytesAs: 'minor2'},
	{name: 'latin1-charlist', erlang: '"h\\x{e9}llo"', expected: 'héllo', sameBytesAs: 'minor2'},
	{name: 'byte-list', erlang: '[1,2,0,255]', expected: '\u0001\u0002\u0000\u00ff', sameBytesAs: 'minor2'},
	{name: 'unicode-charlist', erlang: '"\\x{65e5}\\x{672c}"', expected: [0x65e5, 0x672c], sameBytesAs: 'minor2'},
	{name: 'long-charlist', erlang: 'lists:duplicate(70000, $a)', expected: [...charlistOfA].map(character => character.charCodeAt(0)), sameBytesAs: 'minor2'},
	{name: 'list', erlang: '[a, 1, <<"b">>, [c]]', expected: [atom('a'), 1, Buffer.from('b'), [atom('c')]], sameBytesAs: 'minor2'},
	{name: 'improper-list', erlang: '[1 | 2]', expected: new ImproperList([1], 2), sameBytesAs: 'minor2'},
	{name: 'improper-list-atoms', erlang: '[a, b | c]', expected: new ImproperList([atom('a'), atom('b')], atom('c')), sameBytesAs: 'minor2'},
	{name: 'empty-tuple', erlang: '{}', expected: tuple(), sameBytesAs: 'minor2'},
	{name: 'ok-tuple', erlang: '{ok, [mod_a]}', expected: tuple(atom('ok'), [atom('mod_a')]), sameBytesAs: 'minor2'},
	{name: 'nested-tuple', erlang: '{a, {b, {c, {1.5, "d"}}}}', expected: tuple(atom('a'), tuple(atom('b'), tuple(atom('c'), tuple(new ErlFloat(1.5), 'd')))), sameBytesAs: 'minor2'},
	{name: 'large-tuple', erlang: 'list_to_tuple(lists:seq(1, 300))', expected: new Tuple(Array.from({length: 300}, (_, index) => index + 1)), sameBytesAs: 'minor2'},
	{name: 'empty-map', erlang: '#{}', expected: new ErlMap([]), sameBytesAs: 'minor2'},
	{name: 'map', erlang: '#{a => 1, b => <<"x">>}', expected: new ErlMap([[atom('a'), 1], [atom('b'), Buffer.from('x')]]), sameBytesAs: 'minor2'},
	{name: 'map-compound-keys', erlang: '#{{1, 2} => [x], "k" => 2.5}', expected: new ErlMap([[tuple(1, 2), [atom('x')]], ['k', new ErlFloat(2.5)]]), sameBytesAs: 'minor2'},
	{
		name: 'large-map',
		erlang: 'maps:from_list([{I, {v, I}} || I <- lists:seq(1, 40)])',
		check(t, term) {
			t.true(term instanceof ErlMap);
			const entries = term instanceof ErlMap ? term.entries : [];
			t.is(entries.length, 40);
			const keys = entries.map(([key]) => Number(key)).sort((a, b) => a - b);
			t.deepEqual(keys, Array.from({length: 40}, (_, index) => index + 1));
		},
		sameBytesAs: 'minor2',
	},
	{
		name: 'pid',
		erlang: 'self()',
		check(t, term) {
			t.true(term instanceof Pid);
			t.deepEqual(term instanceof Pid ? term.node : undefined, nonode);
		},
		sameBytesAs: 'minor2',
	},
	{
		name: 'ref',
		erlang: 'make_ref()',
		check(t, term) {
			t.true(term instanceof Ref);
			t.is(term instanceof Ref ? term.ids.length : 0, 3);
		},
		sameBytesAs: 'minor2',
	},
	{
		name: 'port',
		erlang: 'hd(erlang:ports())',
		check(t, term) {
			t.true(term instanceof Port);
			t.true(term instanceof Port && isAtom(term.node, 'nonode@nohost'));
		},
		sameBytesAs: 'minor2',
	},
	{
		name: 'export-fun',
		erlang: 'fun erlang:now/0',
		check(t, term) {
			t.true(term instanceof ErlFun && term.tag === 113);
			t.is(formatTerm(term), 'fun erlang:now/0');
		},
		sameBytesAs: 'standard',
	},
	{
		name: 'local-fun',
		erlang: 'fun() -> ok end',
		check(t, term) {
			t.true(term instanceof ErlFun && term.tag === 112);
			t.regex(formatTerm(term), /^#Fun<erl_eval\.\d+\.\d+>$/);
		},
		sameBytesAs: 'standard',
	},
	{
		name: 'fun-in-tuple',
		erlang: '{fun lists:map/2, fun(X) -> X end}',
		check(t, term) {
			t.true(term instanceof Tuple && term.elements.every(element => element instanceof ErlFun));
		},
		sameBytesAs: 'standard',
	},
	{
		name: 'large-term',
		erlang: 'lists:duplicate(500, {hello, <<"world">>, 42, "charlist", 1.5})',
		expected: Array.from({length: 500}, () => tuple(atom('hello'), Buffer.from('world'), 42, 'charlist', new ErlFloat(1.5))),
		sameBytesAs: 'minor2',
	},
];

function erlangScript(): string {
	const list = cases.map(({name, erlang}) => `{"${name}", ${erlang}}`).join(',\n');
	return `Hex = fun(B) -> binary_to_list(binary:encode_hex(B)) end,
Cases = [${list}],
lists:foreach(fun({N, T}) ->
	io:format("~s ~s ~s ~s ~s~n", [N, Hex(term_to_binary(T)), Hex(term_to_binary(T, [{minor_version, 2}])),
		Hex(term_to_binary(T, [{minor_version, 0}])), Hex(term_to_binary(T, [compressed]))])
end, Cases).`;
}

test.before(async t => {
	const output = await runErlang(erlangScript());
	const encodings = new Map<string, Encodings>();
	for (const line of output.trim().split('\n')) {
		const [name = '', standard = '', minor2 = '', minor0 = '', compressed = ''] = line.split(' ');
		encodings.set(name, {
			standard: Buffer.from(standard, 'hex'),
			minor2: Buffer.from(minor2, 'hex'),
			minor0: Buffer.from(minor0, 'hex'),
			compressed: Buffer.from(compressed, 'hex'),
		});
	}
	t.context.encodings = encodings;
});

function encodingsOf(t: ExecutionContext<{encodings: Map<string, Encodings>}>, name: string): Encodings {
	const encodings = t.context.encodings.get(name);
	if (encodings === undefined) {
		throw new Error(`erl printed nothing for case ${name}`);
	}
	return encodings;
}

const decodesErlangTerm = test.macro({
	exec(t, testCase: ErlangCase) {
		const {standard, minor2, minor0, compressed} = encodingsOf(t, testCase.name);
		const term = decodeTerm(standard);
		if (testCase.expected !== undefined) {
			t.deepEqual(term, testCase.expected);
		}
		testCase.check?.(t, term);
		if (testCase.sameBytesAs === 'standard') {
			// Funs are opaque: their raw bytes keep whichever atom encoding the writer chose.
			t.is(formatTerm(decodeTerm(minor2)), formatTerm(term));
			t.is(formatTerm(decodeTerm(minor0)), formatTerm(term));
		} else {
			t.deepEqual(decodeTerm(minor2), term, 'UTF-8 atoms decode like latin1 ones');
			t.deepEqual(decodeTerm(minor0), term, 'minor version 0 (FLOAT_EXT) decodes the same');
		}
		t.deepEqual(decodeTerm(compressed), term, 'the compressed form decodes the same');
		const reference = testCase.sameBytesAs === 'minor2' ? minor2 : standard;
		t.is(encodeTerm(term).toString('hex'), reference.toString('hex'));
	},
	title: (_, testCase: ErlangCase) => `decodes term_to_binary(${testCase.erlang.length > 50 ? testCase.name : testCase.erlang})`,
});

for (const testCase of cases) {
	test(decodesErlangTerm, testCase);
}

test('the large term really arrives compressed (tag 80) and inflates', t => {
	const {compressed, standard} = encodingsOf(t, 'large-term');
	t.is(compressed[1], 80);
	t.true(compressed.length < standard.length / 10);
});

test('floats written with minor version 0 use the 31-byte FLOAT_EXT', t => {
	const {minor0} = encodingsOf(t, 'pi');
	t.is(minor0[1], 99);
	t.deepEqual(decodeTerm(minor0), new ErlFloat(Math.PI));
});
