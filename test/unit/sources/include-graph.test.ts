import test from 'ava';
import {IncludeGraph} from '../../../daemon/sources/include-graph.ts';
import {parseIncludes, type Include} from '../../../daemon/sources/parse-includes.ts';

const include = (path: string): Include => ({kind: 'include', path});
const includeLib = (path: string): Include => ({kind: 'include_lib', path});

const parses = test.macro({
	exec: (t, text: string, expected: readonly Include[]) => t.deepEqual(parseIncludes(text), expected),
	title: (title = '') => `parseIncludes: ${title}`,
});

test('both kinds, in order', parses, '-module(m).\n-include("logger.hrl").\n-include_lib("xmpp/include/xmpp.hrl").\n', [include('logger.hrl'), includeLib('xmpp/include/xmpp.hrl')]);
test('a commented-out include is none', parses, '% -include("no.hrl").\n-include("a.hrl"). % -include("b.hrl").\n%%-include_lib("c/include/c.hrl").\n', [include('a.hrl')]);
test('a % in a string starts no comment', parses, '-define(P, "100%"). -include("a.hrl").\n', [include('a.hrl')]);
test('$% is a character, no comment', parses, 'f() -> $%. -include("a.hrl").\n', [include('a.hrl')]);
test('$" is a character, no string', parses, 'f() -> $". -include("a.hrl").\nf() -> "x".\n', [include('a.hrl')]);
test('$\\" is a character, no string', parses, 'f() -> $\\". -include("a.hrl").\nf() -> "x".\n', [include('a.hrl')]);
test('$\\^" is a character, no string', parses, 'f() -> $\\^". -include("a.hrl").\nf() -> "x".\n', [include('a.hrl')]);
test('a % in a quoted atom starts no comment', parses, 'f() -> \'%\'. -include("a.hrl").\n', [include('a.hrl')]);
test('an escaped quote ends no string', parses, 'f() -> "\\". -include(\\"fake.hrl\\").\n". -include("a.hrl").\n', [include('a.hrl')]);
test('an include inside a string is none', parses, 'f() ->\n"\n-include(\\"fake.hrl\\").\n".\n-include("a.hrl").\n', [include('a.hrl')]);
test('an include inside a macro body is none: not at the start of a form', parses, '-define(INC, -include("macro.hrl")).\nf() -> X - include("call.hrl").\n', []);
test('blanks, newlines and comments between the tokens', parses, '-include (\n "x.hrl" ).\n- include_lib ( % why\n\t"app/include/y.hrl"\n ) .\n', [include('x.hrl'), includeLib('app/include/y.hrl')]);
test('adjacent strings are joined, as epp does', parses, '-include("dir/" "x.hrl").\n', [include('dir/x.hrl')]);
test('a quoted atom names the attribute too', parses, '-\'include\'("q.hrl").\n', [include('q.hrl')]);
test('escapes in the path', parses, '-include("we\\\\ird\\"x.hrl").\n-include("my\\sfile.hrl").\n', [include('we\\ird"x.hrl'), include('my file.hrl')]);
test('each include once; the two kinds apart', parses, '-include("a.hrl").\n-include("a.hrl").\n-include_lib("a.hrl").\n', [include('a.hrl'), includeLib('a.hrl')]);
test('under every -ifdef branch: all kept', parses, '-ifdef(TEST).\n-include_lib("eunit/include/eunit.hrl").\n-else.\n-include("prod.hrl").\n-endif.\n', [includeLib('eunit/include/eunit.hrl'), include('prod.hrl')]);
test('an include at the very end, its dot the last character', parses, '-include("a.hrl").', [include('a.hrl')]);
test('a dot with no blank after it ends no form', parses, 'f() -> x.-include("no.hrl").\n-include("a.hrl").\n', [include('a.hrl')]);
test('a float\'s dot ends no form', parses, 'f() -> 1.5 -include("no.hrl").\n-include("a.hrl").\n', [include('a.hrl')]);
test('a triple-quoted string may hold quotes and includes', parses, 's() ->\n    """\n    -include("fake.hrl"). "%\n    """.\n-include("a.hrl").\n', [include('a.hrl')]);
test('a triple-quoted string closes only with as many quotes', parses, 's() ->\n    """"\n    """\n    -include("fake.hrl").\n    """".\n-include("a.hrl").\n', [include('a.hrl')]);
test('a sigil may hold % and "', parses, 's() -> ~s(50% "x).\n-include("a.hrl").\nt() -> ~B[\\]. u() -> ~"%".\n-include("b.hrl").\n', [include('a.hrl'), include('b.hrl')]);
test('not an include: no dot, unterminated, a macro, another attribute, an empty path', parses, '-includes("s.hrl").\n-include(?HRL).\n-include("").\n-include("x.hrl") -include("y.hrl").\n-include("z.hrl"', []);
test('a path longer than epp takes is none', parses, `-include("${'a'.repeat(1025)}").\n-include("${'a'.repeat(1020)}" "x.hrl").\n-include("${'a'.repeat(5000)}" "x.hrl").\n-include("${'b'.repeat(1024)}").\n`, [include('b'.repeat(1024))]);

/** 5 MB inputs built to make a backtracking or quadratic scanner hang, each with the answer it must give. */
const FIVE_MB = 5 * 1024 * 1024;
const HOSTILE: ReadonlyArray<readonly [string, string, readonly Include[]]> = [
	['many forms, one include repeated', '-include("x.hrl").\nf() -> "%", $%, \'%\'.\n'.repeat(FIVE_MB / 40), [include('x.hrl')]],
	['a triple quote then lines of one quote fewer', `"""""\n${`${'"'.repeat(4)}\n`.repeat(FIVE_MB / 5)}`, []],
	['an opening quote run of 5 MB', '"'.repeat(FIVE_MB), []],
	['an unterminated include path of 5 MB', `-include("${'a'.repeat(FIVE_MB)}`, []],
	['a 5 MB include path', `-include("${'a'.repeat(FIVE_MB)}").\n-include("a.hrl").\n`, [include('a.hrl')]],
	['many attribute starts that never finish', '.\n-include(\n'.repeat(FIVE_MB / 12), []],
	['dollars, tildes and backslashes', '$~\\'.repeat(FIVE_MB / 3), []],
	['a real include after 5 MB of code', `${'f() -> [1.5, "s", \'a\', $x].\n'.repeat(FIVE_MB / 30)}-include("last.hrl").\n`, [include('last.hrl')]],
];
for (const [title, text, expected] of HOSTILE) {
	test(`parseIncludes on 5 MB: ${title}`, t => {
		t.timeout(60_000, 'a scanner that is not linear would take forever here');
		t.deepEqual(parseIncludes(text), expected);
	});
}

test('a module that includes a header directly', t => {
	const graph = new IncludeGraph();
	graph.set('/tree/src/mod_a.erl', [include('a.hrl')]);
	graph.set('/tree/src/mod_b.erl', []);
	graph.set('/tree/src/a.hrl', []);
	t.deepEqual(graph.includersOf(['/tree/src/a.hrl']), ['/tree/src/mod_a.erl']);
});

test('a module that includes a header through another header; the headers themselves are no answer', t => {
	const graph = new IncludeGraph();
	graph.set('/tree/src/mod_a.erl', [include('b.hrl')]);
	graph.set('/tree/src/b.hrl', [include('a.hrl')]);
	graph.set('/tree/src/a.hrl', []);
	t.deepEqual(graph.includersOf(['/tree/src/a.hrl']), ['/tree/src/mod_a.erl']);
});

test('an include cycle ends, and reaches every includer on it', t => {
	const graph = new IncludeGraph();
	graph.set('/tree/src/a.hrl', [include('b.hrl')]);
	graph.set('/tree/src/b.hrl', [include('a.hrl')]);
	graph.set('/tree/src/mod_a.erl', [include('a.hrl')]);
	graph.set('/tree/src/mod_b.erl', [include('b.hrl')]);
	t.deepEqual(graph.includersOf(['/tree/src/b.hrl']), ['/tree/src/mod_a.erl', '/tree/src/mod_b.erl']);
	t.deepEqual(graph.includersOf(['/tree/src/a.hrl']), ['/tree/src/mod_a.erl', '/tree/src/mod_b.erl']);
});

test('several changed headers: each includer once, sorted', t => {
	const graph = new IncludeGraph();
	graph.set('/tree/src/mod_b.erl', [include('a.hrl'), include('b.hrl')]);
	graph.set('/tree/src/mod_a.erl', [include('b.hrl')]);
	graph.set('/tree/src/a.hrl', []);
	graph.set('/tree/src/b.hrl', []);
	t.deepEqual(graph.includersOf(['/tree/src/a.hrl', '/tree/src/b.hrl']), ['/tree/src/mod_a.erl', '/tree/src/mod_b.erl']);
});

test('a header nobody includes, and one the graph does not know, have no includers', t => {
	const graph = new IncludeGraph();
	graph.set('/tree/src/mod_a.erl', [include('a.hrl'), include('gone.hrl')]);
	graph.set('/tree/src/a.hrl', []);
	graph.set('/tree/src/lonely.hrl', []);
	t.deepEqual(graph.includersOf(['/tree/src/lonely.hrl']), []);
	t.deepEqual(graph.includersOf(['/tree/src/gone.hrl']), []);
	t.deepEqual(graph.includersOf([]), []);
});

test('include_lib finds the header under Debian\'s p1_xmpp-1.6.1, and under app and app-<version>', t => {
	const graph = new IncludeGraph();
	graph.set('/tree/src/mod_a.erl', [includeLib('xmpp/include/xmpp.hrl')]);
	graph.set('/tree/src/mod_b.erl', [includeLib('fast_xml/include/fxml.hrl')]);
	graph.set('/tree/src/mod_c.erl', [includeLib('ejabberd/include/logger.hrl')]);
	graph.set('/usr/lib/x86_64-linux-gnu/ejabberd/lib/p1_xmpp-1.6.1/include/xmpp.hrl', []);
	graph.set('/usr/lib/erlang/lib/fast_xml-1.1.49/include/fxml.hrl', []);
	graph.set('/home/me/ejabberd/_build/default/lib/ejabberd/include/logger.hrl', []);
	t.deepEqual(graph.includersOf(['/usr/lib/x86_64-linux-gnu/ejabberd/lib/p1_xmpp-1.6.1/include/xmpp.hrl']), ['/tree/src/mod_a.erl']);
	t.deepEqual(graph.includersOf(['/usr/lib/erlang/lib/fast_xml-1.1.49/include/fxml.hrl']), ['/tree/src/mod_b.erl']);
	t.deepEqual(graph.includersOf(['/home/me/ejabberd/_build/default/lib/ejabberd/include/logger.hrl']), ['/tree/src/mod_c.erl']);
});

test('include_lib takes no directory of another application, nor one with no version after the dash', t => {
	const graph = new IncludeGraph();
	graph.set('/tree/src/mod_a.erl', [includeLib('xmpp/include/xmpp.hrl')]);
	for (const directory of ['notxmpp', 'xmpp_ext-1.0', 'p1_xmpp', 'xmpp-latest', 'xmpp-', 'p2_xmpp-1.0']) {
		graph.set(`/lib/${directory}/include/xmpp.hrl`, []);
		t.deepEqual(graph.includersOf([`/lib/${directory}/include/xmpp.hrl`]), [], directory);
	}
	graph.set('/lib/xmpp/other/include/xmpp.hrl', []);
	t.deepEqual(graph.includersOf(['/lib/xmpp/other/include/xmpp.hrl']), [], 'the rest of the path is matched whole');
});

test('include_lib counts every known copy of the application: the compiler\'s code path is unknown here', t => {
	const graph = new IncludeGraph();
	graph.set('/tree/src/mod_a.erl', [includeLib('xmpp/include/xmpp.hrl')]);
	graph.set('/usr/lib/p1_xmpp-1.6.1/include/xmpp.hrl', []);
	graph.set('/home/me/deps/xmpp/include/xmpp.hrl', []);
	t.deepEqual(graph.includersOf(['/usr/lib/p1_xmpp-1.6.1/include/xmpp.hrl']), ['/tree/src/mod_a.erl']);
	t.deepEqual(graph.includersOf(['/home/me/deps/xmpp/include/xmpp.hrl']), ['/tree/src/mod_a.erl']);
});

test('include_lib is first resolved like include, as epp does; the application directory only when that finds nothing', t => {
	const graph = new IncludeGraph(['/tree/include']);
	graph.set('/tree/src/mod_a.erl', [includeLib('xmpp/include/xmpp.hrl')]);
	graph.set('/tree/src/mod_b.erl', [includeLib('local.hrl')]);
	graph.set('/tree/include/xmpp/include/xmpp.hrl', []);
	graph.set('/usr/lib/xmpp-1.6.1/include/xmpp.hrl', []);
	graph.set('/tree/src/local.hrl', []);
	t.deepEqual(graph.includersOf(['/tree/include/xmpp/include/xmpp.hrl']), ['/tree/src/mod_a.erl']);
	t.deepEqual(graph.includersOf(['/usr/lib/xmpp-1.6.1/include/xmpp.hrl']), []);
	t.deepEqual(graph.includersOf(['/tree/src/local.hrl']), ['/tree/src/mod_b.erl']);
	graph.delete('/tree/include/xmpp/include/xmpp.hrl');
	t.deepEqual(graph.includersOf(['/usr/lib/xmpp-1.6.1/include/xmpp.hrl']), ['/tree/src/mod_a.erl']);
});

test('include: beside the including file first, then each include directory in order', t => {
	const graph = new IncludeGraph(['/tree/include', '/tree/deps/include']);
	graph.set('/tree/src/mod_a.erl', [include('logger.hrl'), include('ns.hrl'), include('deep.hrl')]);
	graph.set('/tree/include/logger.hrl', []);
	graph.set('/tree/include/ns.hrl', []);
	graph.set('/tree/deps/include/ns.hrl', []);
	graph.set('/tree/deps/include/deep.hrl', []);
	t.deepEqual(graph.includersOf(['/tree/include/logger.hrl']), ['/tree/src/mod_a.erl']);
	t.deepEqual(graph.includersOf(['/tree/include/ns.hrl']), ['/tree/src/mod_a.erl']);
	t.deepEqual(graph.includersOf(['/tree/deps/include/ns.hrl']), [], 'shadowed by the earlier include directory');
	t.deepEqual(graph.includersOf(['/tree/deps/include/deep.hrl']), ['/tree/src/mod_a.erl']);
	graph.set('/tree/src/logger.hrl', []);
	t.deepEqual(graph.includersOf(['/tree/src/logger.hrl']), ['/tree/src/mod_a.erl'], 'a header beside the module, appearing later, shadows the include directory\'s');
	t.deepEqual(graph.includersOf(['/tree/include/logger.hrl']), []);
});

test('include never takes an application directory: that is include_lib\'s', t => {
	const graph = new IncludeGraph();
	graph.set('/tree/src/mod_a.erl', [include('xmpp/include/xmpp.hrl')]);
	graph.set('/usr/lib/xmpp-1.6.1/include/xmpp.hrl', []);
	t.deepEqual(graph.includersOf(['/usr/lib/xmpp-1.6.1/include/xmpp.hrl']), []);
});

test('a relative path with .. and an absolute one', t => {
	const graph = new IncludeGraph();
	graph.set('/tree/src/mod_a.erl', [include('../include/a.hrl'), include('/opt/abs/b.hrl')]);
	graph.set('/tree/include/a.hrl', []);
	graph.set('/opt/abs/b.hrl', []);
	t.deepEqual(graph.includersOf(['/tree/include/a.hrl']), ['/tree/src/mod_a.erl']);
	t.deepEqual(graph.includersOf(['/opt/abs/./b.hrl']), ['/tree/src/mod_a.erl']);
});

test('a header\'s own include is resolved from the header\'s directory, not its includer\'s', t => {
	const graph = new IncludeGraph(['/tree/include']);
	graph.set('/tree/src/mod_a.erl', [include('outer.hrl')]);
	graph.set('/tree/include/outer.hrl', [include('inner.hrl')]);
	graph.set('/tree/include/inner.hrl', []);
	graph.set('/tree/src/inner.hrl', []);
	t.deepEqual(graph.includersOf(['/tree/include/inner.hrl']), ['/tree/src/mod_a.erl']);
	t.deepEqual(graph.includersOf(['/tree/src/inner.hrl']), []);
});

test('set replaces what a file includes; delete forgets the file', t => {
	const graph = new IncludeGraph();
	graph.set('/tree/src/mod_a.erl', [include('a.hrl')]);
	graph.set('/tree/src/a.hrl', []);
	t.deepEqual(graph.includersOf(['/tree/src/a.hrl']), ['/tree/src/mod_a.erl']);
	graph.set('/tree/src/mod_a.erl', []);
	t.deepEqual(graph.includersOf(['/tree/src/a.hrl']), []);
	graph.set('/tree/src/mod_a.erl', [include('a.hrl')]);
	graph.delete('/tree/src/a.hrl');
	t.deepEqual(graph.includersOf(['/tree/src/a.hrl']), [], 'a header the graph forgot is no dependency');
	graph.set('/tree/src/a.hrl', []);
	graph.delete('/tree/src/mod_a.erl');
	graph.delete('/tree/src/never-told.erl');
	t.deepEqual(graph.includersOf(['/tree/src/a.hrl']), []);
});

test('include directories must be absolute: every bad one is named', t => {
	const error = t.throws(() => new IncludeGraph(['/tree/include', 'include', '../deps']));
	t.like(error, {code: 'ERR_CONFIG_INVALID'});
	t.regex(error?.message ?? '', /includeDirectories\[1\]: expected an absolute directory, got `"include"` \(string\).*includeDirectories\[2\].*`"\.\.\/deps"`/);
});

test('source files are named by absolute paths', t => {
	const graph = new IncludeGraph();
	t.throws(() => graph.set('src/mod_a.erl', []), {instanceOf: TypeError, message: /absolute.*"src\/mod_a\.erl"/});
	t.throws(() => graph.includersOf(['a.hrl']), {instanceOf: TypeError});
});
