import test from 'ava';
import {ReloaderError} from '../../../../daemon/errors.ts';
import {ImproperList, atom, tuple, type Term} from '../../../../daemon/lib/erlang-term/index.ts';
import {readChardata, readCompileAnswer} from '../../../../daemon/transports/distribution/read-compile-result.ts';

// Shapes as OTP 27 answered them for the fixtures (24.12 node in the Debian 13 root).
const SOURCE = '/compat/n/src/mod_samples.erl';
const HEADER = '/compat/n/src/sample_bad.hrl';
const at = (line: number, column: number) => tuple(line, column);

test('{ok, Mod, Binary, Warnings}: the beam, its module and the warnings, located', t => {
	const beam = Buffer.from('FOR1');
	const answer = readCompileAnswer(tuple(atom('ok'), atom('mod_reloader_unused'), beam, [tuple(SOURCE, [tuple(at(8, 5), atom('erl_lint'), tuple(atom('unused_var'), atom('Unused')))])]));
	t.is(answer.module, 'mod_reloader_unused');
	t.is(answer.beam, beam);
	t.deepEqual(answer.errors, []);
	t.deepEqual(answer.warnings, [{file: SOURCE, line: 8, column: 5, reporter: 'erl_lint', descriptor: tuple(atom('unused_var'), atom('Unused'))}]);
});

test('{error, Errors, Warnings}: every file\'s entries in order, a header\'s first; no beam', t => {
	const answer = readCompileAnswer(tuple(atom('error'), [
		tuple(HEADER, [tuple(at(3, 16), atom('erl_parse'), ['syntax error before: ', '\'->\''])]),
		tuple(SOURCE, [tuple(at(7, 2), atom('erl_lint'), tuple(atom('undefined_function'), tuple(atom('undefined_fun'), 1))), tuple(15, atom('erl_lint'), tuple(atom('unbound_var'), atom('Y')))]),
	], [tuple(SOURCE, [tuple(at(6, 2), atom('erl_lint'), tuple(atom('unused_var'), atom('Unused')))])]));
	t.is(answer.beam, undefined);
	t.deepEqual(answer.errors.map(({file, line, column, reporter}) => ({file, line, column, reporter})), [
		{file: HEADER, line: 3, column: 16, reporter: 'erl_parse'},
		{file: SOURCE, line: 7, column: 2, reporter: 'erl_lint'},
		// A location without a column (`+{error_location, line}`).
		{file: SOURCE, line: 15, column: undefined, reporter: 'erl_lint'},
	]);
	t.is(answer.warnings.length, 1);
});

test('a source the node cannot read: located nowhere, its cause kept', t => {
	const answer = readCompileAnswer(tuple(atom('error'), [tuple('/compat/n/src/nope.erl', [tuple(atom('none'), atom('compile'), tuple(atom('epp'), atom('enoent')))])], []));
	t.deepEqual(answer.errors, [{file: '/compat/n/src/nope.erl', reporter: 'compile', descriptor: tuple(atom('epp'), atom('enoent')), cause: {kind: 'unreadable', reason: 'enoent'}}]);
});

test('an -include_lib epp cannot resolve names its application', t => {
	const answer = readCompileAnswer(tuple(atom('error'), [tuple(SOURCE, [tuple(at(17, 14), atom('epp'), tuple(atom('include'), atom('lib'), 'xmpp/include/xmpp.hrl'))])], []));
	t.deepEqual(answer.errors[0]?.cause, {kind: 'includeLib', path: 'xmpp/include/xmpp.hrl', application: 'xmpp'});
	// A plain -include that is missing is no such cause.
	const plain = readCompileAnswer(tuple(atom('error'), [tuple(SOURCE, [tuple(at(3, 10), atom('epp'), tuple(atom('include'), atom('file'), 'x.hrl'))])], []));
	t.is(plain.errors[0]?.cause, undefined);
});

test('a bare `error` (compile:file without return_errors) is a failure with nothing said', t => {
	t.deepEqual(readCompileAnswer(atom('error')), {module: undefined, beam: undefined, errors: [], warnings: []});
});

for (const [title, term] of [
	['an rpc failure', tuple(atom('badrpc'), atom('nodedown'))],
	['ok without a binary', tuple(atom('ok'), atom('m'), atom('undefined'), [])],
	['an entry that is no {File, Infos}', tuple(atom('error'), [atom('oops')], [])],
	['an info that is no triple', tuple(atom('error'), [tuple(SOURCE, [tuple(1, atom('erl_lint'))])], [])],
] as const) {
	test(`unexpected: ${title} is ERR_NODE_COMMAND quoting the answer`, t => {
		const error = t.throws(() => readCompileAnswer(term as Term), {instanceOf: ReloaderError});
		t.is(error?.code, 'ERR_NODE_COMMAND');
		t.true(error?.message.startsWith('Unexpected answer from compile:file: '));
	});
}

test('chardata: strings, code points, UTF-8 binaries, nested and improper lists, in order', t => {
	t.is(readChardata(['syntax error before: ', '\'->\''], 100), 'syntax error before: \'->\'');
	t.is(readChardata([[0x76, 0x61, 0x72], ' ', Buffer.from('été ⟶ ok'), new ImproperList(['!'], Buffer.from('?'))], 100), 'var été ⟶ ok!?');
	t.is(readChardata([], 100), '');
	t.is(readChardata([0x1f600], 100), '😀');
});

test('chardata: cut after maxChars, and a term that is none is undefined', t => {
	t.is(readChardata(['a'.repeat(50), 'b'.repeat(50)], 60), `${'a'.repeat(50)}${'b'.repeat(10)}`);
	t.is(readChardata(tuple(atom('x')), 10), undefined);
	t.is(readChardata([atom('x')], 10), undefined);
	t.is(readChardata([0xd800], 10), undefined);
	t.is(readChardata([-1], 10), undefined);
});

test('chardata: deep nesting does not exhaust the stack', t => {
	let deep: Term = 'x';
	for (let depth = 0; depth < 100_000; depth++) {
		deep = [deep];
	}
	t.is(readChardata(deep, 10), 'x');
});
