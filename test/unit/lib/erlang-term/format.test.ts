import test from 'ava';
import {
	BitBinary, ErlFloat, ErlFun, ErlMap, ImproperList, Pid, Port, Ref, atom, formatTerm, tuple,
} from '../../../../daemon/lib/erlang-term/index.ts';
import type {Term} from '../../../../daemon/lib/erlang-term/index.ts';

const formatsAs = test.macro({
	exec(t, term: Term, expected: string) {
		t.is(formatTerm(term), expected);
	},
	title: (_, term: Term, expected: string) => `formats ${expected.length > 40 ? `${expected.slice(0, 40)}...` : expected}`,
});

test(formatsAs, tuple(atom('ok'), [atom('mod_a')]), '{ok,[mod_a]}');
test(formatsAs, atom('Quoted atom'), '\'Quoted atom\'');
test(formatsAs, atom('it\'s\n'), '\'it\\\'s\\n\'');
test(formatsAs, atom('nonode@nohost'), 'nonode@nohost');
test(formatsAs, atom('receive'), '\'receive\'');
test(formatsAs, atom(''), '\'\'');
test(formatsAs, atom('héllo'), '\'héllo\'');
test(formatsAs, Buffer.from([1, 2]), '<<1,2>>');
test(formatsAs, Buffer.from('hi "you"'), '<<"hi \\"you\\"">>');
test(formatsAs, Buffer.alloc(0), '<<>>');
test(formatsAs, new BitBinary(Buffer.from([1, 0b1010_0000]), 3), '<<1,5:3>>');
test(formatsAs, 'abc', '"abc"');
test(formatsAs, '', '[]');
test(formatsAs, '\u0001\u0002', '[1,2]');
test(formatsAs, [1, 2, 3], '[1,2,3]');
test(formatsAs, new ImproperList([atom('a'), atom('b')], atom('c')), '[a,b|c]');
test(formatsAs, 2n ** 70n, '1180591620717411303424');
test(formatsAs, -7, '-7');
test(formatsAs, new ErlFloat(1), '1.0');
test(formatsAs, new ErlFloat(1.5e-7), '1.5e-7');
test(formatsAs, new ErlFloat(1e100), '1.0e100');
test(formatsAs, 0.25, '0.25');
test(formatsAs, new ErlMap([[atom('a'), 1], ['k', Buffer.from('v')]]), '#{a => 1,"k" => <<"v">>}');
test(formatsAs, new Pid(atom('ejabberd@localhost'), 85, 0, 1), '<ejabberd@localhost.85.0>');
test(formatsAs, new Ref(atom('n@h'), 1, [3, 2, 1]), '#Ref<n@h.1.2.3>');
test(formatsAs, new Port(atom('n@h'), 4, 1), '#Port<n@h.4>');
test(formatsAs, new ErlFun(113, Buffer.from('7701' + '6d7701' + '6661' + '02', 'hex')), 'fun m:f/2');
test(formatsAs, new ErlFun(112, Buffer.from([0, 0, 0, 4])), '#Fun<?>');

test('truncates very long output', t => {
	const text = formatTerm(new Array<Term>(100_000).fill(atom('element')), 100);
	t.is(text.length, 103);
	t.true(text.endsWith('...'));
});

test('truncates a huge binary without formatting all of it', t => {
	const text = formatTerm(Buffer.alloc(50_000_000, 1));
	t.true(text.length <= 2003);
	t.true(text.endsWith('...'));
});

test('prints deep nesting without overflowing the stack', t => {
	let deep: Term = [];
	for (let level = 0; level < 100_000; level++) {
		deep = [deep];
	}
	t.regex(formatTerm(deep, 5000), /^\[\[\[.*\.\.\./);
});

test('a peer\'s text cannot hide or reorder a log line: bidi overrides, zero-width characters and separators are escaped', t => {
	t.is(formatTerm('ab\u202Ecd\u200B\u2028'), String.raw`"ab\x{202E}cd\x{200B}\x{2028}"`);
	t.is(formatTerm(atom('x\u202Ey')), String.raw`'x\x{202E}y'`);
	t.is(formatTerm(Buffer.from('ok\u001B[31m')), String.raw`<<"ok\e[31m">>`);
	t.is(formatTerm('café'), '"café"');
});
