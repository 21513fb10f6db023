import {readFileSync} from 'node:fs';
import * as path from 'node:path';
import test from 'ava';
import {DEFAULT_DIAGNOSTIC_LIMITS, describeOmitted, formatDiagnostic, parseCompilerOutput, type CompileDiagnostic} from '../../../daemon/sources/compile-diagnostics.ts';

/** What erlc printed for fixtures/sources/erlc-output/samples/, captured by capture.sh on OTP 25 (Debian 12) and OTP 27 (Debian 13). */
function captured(release: 25 | 27, name: string): string {
	return readFileSync(path.join(import.meta.dirname, '../../../fixtures/sources/erlc-output', `otp${release}-${name}.txt`), 'utf8');
}

const SAMPLES_ERRORS: readonly CompileDiagnostic[] = [
	{file: 'sample_bad.hrl', line: 3, column: 16, severity: 'error', message: 'syntax error before: \'->\'', excerpt: ['%    3| bad_in_header( -> ok.', '%     |                ^']},
	{file: 'mod_samples.erl', line: 7, column: 2, severity: 'error', message: 'function undefined_fun/1 undefined', excerpt: ['%    7| \tundefined_fun(X).', '%     | \t^']},
	{file: 'mod_samples.erl', line: 10, column: 15, severity: 'error', message: 'field c undefined in record sample_rec', excerpt: ['%   10| \tR#sample_rec{c = 1}.', '%     | \t             ^']},
	{file: 'mod_samples.erl', line: 15, column: 8, severity: 'error', message: 'variable \'Y\' is unbound', excerpt: ['%   15| \t\t_ -> Y', '%     | \t\t     ^']},
	{file: 'mod_samples.erl', line: 6, column: 2, severity: 'warning', message: 'variable \'Unused\' is unused', excerpt: ['%    6| \tUnused = X,', '%     | \t^']},
];

for (const release of [25, 27] as const) {
	test(`OTP ${release}: errors and a warning, each with its excerpt (caret line and tabs kept)`, t => {
		const parsed = parseCompilerOutput(captured(release, 'errors'));
		t.deepEqual(parsed.diagnostics, SAMPLES_ERRORS);
		t.deepEqual(parsed.omitted, {errors: 0, warnings: 0});
		t.deepEqual(parsed.otherLines, []);
	});

	test(`OTP ${release}: +{error_location,line} gives file:line: without a column, and no caret line`, t => {
		const parsed = parseCompilerOutput(captured(release, 'line-only'));
		t.deepEqual(parsed.diagnostics, SAMPLES_ERRORS.map(({file, line, severity, message, excerpt}) => ({file, line, severity, message, excerpt: excerpt?.slice(0, 1)})));
	});

	test(`OTP ${release}: a lone warning`, t => {
		t.deepEqual(parseCompilerOutput(captured(release, 'warning')).diagnostics, [
			{file: 'mod_reloader_unused.erl', line: 8, column: 5, severity: 'warning', message: 'variable \'Unused\' is unused', excerpt: ['%    8|     Unused = Name,', '%     |     ^']},
		]);
	});

	test(`OTP ${release}: -Werror prints the warning without "Warning:", an error, after a note that is no diagnostic`, t => {
		const parsed = parseCompilerOutput(captured(release, 'werror'));
		t.deepEqual(parsed.diagnostics.map(({severity, line, column, message}) => ({severity, line, column, message})), [
			{severity: 'error', line: 8, column: 5, message: 'variable \'Unused\' is unused'},
		]);
		t.deepEqual(parsed.otherLines, ['compile: warnings being treated as errors']);
	});

	test(`OTP ${release}: file: message without a location (a parse transform missing)`, t => {
		t.deepEqual(parseCompilerOutput(captured(release, 'parse-transform-missing')).diagnostics, [
			{file: 'mod_uses_crashing_pt.erl', severity: 'error', message: 'undefined parse transform \'crashing_pt\''},
		]);
	});

	test(`OTP ${release}: a parse transform's crash report spanning lines is one message`, t => {
		const [only, ...rest] = parseCompilerOutput(captured(release, 'parse-transform-crash')).diagnostics;
		t.deepEqual(rest, []);
		t.is(only?.file, 'mod_uses_crashing_pt.erl');
		t.is(only?.severity, 'error');
		t.is(only?.line, undefined);
		t.regex(only?.message ?? '', /^error in parse transform 'crashing_pt': exception error: \{boom,\[1,2,3,.* 27,28,.*40\]\} in function +crashing_pt:parse_transform\/2 \(crashing_pt\.erl, line 3\) in call from compile:/);
		t.notRegex(only?.message ?? '', /\n/);
	});
}

test('OTP 25 and 27 print the same, except for the compiler\'s own line numbers in a crash report', t => {
	for (const name of ['errors', 'line-only', 'warning', 'werror', 'parse-transform-missing']) {
		t.is(captured(25, name), captured(27, name), name);
	}
	t.not(captured(25, 'parse-transform-crash'), captured(27, 'parse-transform-crash'));
});

test('absolute paths, and a beam named in a file-only message', t => {
	const output = [
		'/home/dev/mod_foo/src/mod_foo.erl:12:3: Warning: function f/0 is unused',
		'/tmp/ejabberd-reloader-erlc-x/-x.beam: Module name \'mod_foo\' does not match file name \'-x\'',
		'',
	].join('\n');
	t.deepEqual(parseCompilerOutput(output).diagnostics, [
		{file: '/home/dev/mod_foo/src/mod_foo.erl', line: 12, column: 3, severity: 'warning', message: 'function f/0 is unused'},
		{file: '/tmp/ejabberd-reloader-erlc-x/-x.beam', severity: 'error', message: 'Module name \'mod_foo\' does not match file name \'-x\''},
	]);
});

test('lines that are no diagnostic (a VM that did not boot) are kept apart, bounded', t => {
	const output = '{"init terminating in do_boot",{undef,[{erl_compile,compile_cmdline,[],[]}]}}\ninit terminating in do_boot ()\n';
	const parsed = parseCompilerOutput(output);
	t.deepEqual(parsed.diagnostics, []);
	t.deepEqual(parsed.otherLines, ['{"init terminating in do_boot",{undef,[{erl_compile,compile_cmdline,[],[]}]}}', 'init terminating in do_boot ()']);
	const many = parseCompilerOutput('junk\n'.repeat(1000));
	t.is(many.otherLines.length, DEFAULT_DIAGNOSTIC_LIMITS.maxOtherLines);
});

test('a flood is cut: the first diagnostics kept, the rest counted by severity', t => {
	const error = (line: number): string => `m.erl:${line}:1: syntax error before: x\n%  ${line}| x\n%     | ^\n\n`;
	const warning = (line: number): string => `m.erl:${line}:1: Warning: variable 'X' is unused\n`;
	const output = Array.from({length: 300}, (_, index) => error(index + 1)).join('') + Array.from({length: 1000}, (_, index) => warning(index + 1)).join('');
	const parsed = parseCompilerOutput(output, {...DEFAULT_DIAGNOSTIC_LIMITS, maxDiagnostics: 10});
	t.is(parsed.diagnostics.length, 10);
	t.deepEqual(parsed.diagnostics.map(diagnostic => diagnostic.line), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
	t.deepEqual(parsed.omitted, {errors: 290, warnings: 1000});
	t.is(describeOmitted(parsed.omitted), '290 errors and 1000 warnings more left out (only the first ones are kept)');
	t.is(describeOmitted({errors: 0, warnings: 1}), '1 warning more left out (only the first ones are kept)');
	t.is(describeOmitted({errors: 0, warnings: 0}), undefined);
});

test('a huge message, a long excerpt and endless continuation lines are cut', t => {
	const limits = {...DEFAULT_DIAGNOSTIC_LIMITS, maxLineLength: 40, maxExcerptLines: 2};
	const long = parseCompilerOutput(`m.erl:1:1: ${'a'.repeat(5000)}\n%    1| ${'b'.repeat(5000)}\n%    2| c\n%    3| d\n`, limits);
	const [first] = long.diagnostics;
	t.is(first?.message, `${'a'.repeat(40)}…(5000 characters)`);
	t.is(first?.excerpt?.length, 2);
	t.is(first?.excerpt?.[0], `%    1| ${'b'.repeat(32)}…(5008 characters)`);
	const wrapped = parseCompilerOutput(`m.erl: error in parse transform 'p':\n${'  in call from x:y/1 (x.erl, line 1)\n'.repeat(100_000)}`, limits);
	t.is(wrapped.diagnostics.length, 1);
	t.true((wrapped.diagnostics[0]?.message.length ?? Infinity) < 100);
});

test('control characters from the source are escaped; tabs stay', t => {
	const [diagnostic] = parseCompilerOutput('m.erl:1:1: syntax error before: \u001b[2J\n%    1| \tx = "\u001b[31m\u202e"\n').diagnostics;
	t.is(diagnostic?.message, 'syntax error before: \\u{001b}[2J');
	t.deepEqual(diagnostic?.excerpt, ['%    1| \tx = "\\u{001b}[31m\\u{202e}"']);
});

test('CRLF output reads like LF output', t => {
	t.deepEqual(parseCompilerOutput(captured(25, 'errors').replaceAll('\n', '\r\n')).diagnostics, SAMPLES_ERRORS);
});

const formats = test.macro({
	exec(t, diagnostic: CompileDiagnostic, expected: string) {
		t.is(formatDiagnostic(diagnostic), expected);
	},
	title: (title = '') => `formatDiagnostic: ${title}`,
});

test('an error with line and column', formats, {file: 'src/m.erl', line: 57, column: 75, severity: 'error', message: 'syntax error before: db_failure'}, 'src/m.erl:57:75: syntax error before: db_failure');
test('a warning with line and column', formats, {file: 'src/m.erl', line: 8, column: 5, severity: 'warning', message: 'variable \'Unused\' is unused'}, 'src/m.erl:8:5: warning: variable \'Unused\' is unused');
test('a line without a column', formats, {file: 'm.erl', line: 3, severity: 'error', message: 'x'}, 'm.erl:3: x');
test('no location', formats, {file: 'm.erl', severity: 'error', message: 'undefined parse transform \'ejabberd_sql_pt\''}, 'm.erl: undefined parse transform \'ejabberd_sql_pt\'');
test('a column without a line is not shown', formats, {file: 'm.erl', column: 3, severity: 'warning', message: 'x'}, 'm.erl: warning: x');
test('the excerpt is not part of the line', formats, {file: 'm.erl', line: 1, column: 1, severity: 'error', message: 'x', excerpt: ['%    1| x']}, 'm.erl:1:1: x');
