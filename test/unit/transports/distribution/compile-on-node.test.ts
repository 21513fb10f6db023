import test from 'ava';
import {ReloaderError} from '../../../../daemon/errors.ts';
import {Atom, atom, formatTerm, tuple, type Term} from '../../../../daemon/lib/erlang-term/index.ts';
import {MESSAGE_FORMATTERS, compileFileOptions, compileOnNode} from '../../../../daemon/transports/distribution/compile-on-node.ts';
import type {RemoteCall} from '../../../../daemon/transports/distribution/code-operations.ts';
import {RELOADER_ALLOW_LIST} from '../../../../daemon/transports/distribution/reloader-allow-list.ts';
import type {NodeCompileRequest} from '../../../../daemon/transports/node-compile.ts';
import {createPathMap} from '../../../../daemon/transports/path-map.ts';

// The daemon sees the node's /compat/n as /root/compat/n (a chroot, a container's volume).
const paths = createPathMap([{local: '/root/compat/n', node: '/compat/n'}]);

const REQUEST: NodeCompileRequest = {
	source: '/root/compat/n/src/mod_x.erl',
	includeDirs: ['/root/compat/n/include'],
	applications: ['fast_xml', 'xmpp', 'ejabberd'],
	lastIncludeDirs: ['/srv/installed/include'],
	flags: ['verbose', 'debug_info'],
	features: [],
	timeoutMs: 45_000,
	maxDiagnostics: 50,
	maxBeamBytes: 1024,
};

interface Call {
	readonly mfa: string;
	readonly args: readonly Term[];
	readonly timeoutMs: number | undefined;
}

/** A node as Debian 12 has it: fast_xml and xmpp only by code:which, ejabberd by name; compile:file answers `answer`. */
function fakeNode(answer: Term, formatted: (reporter: string, descriptor: Term) => Term | Promise<Term> = (_reporter, descriptor) => `text of ${formatTerm(descriptor)}`) {
	const calls: Call[] = [];
	const call: RemoteCall = async (module, fn, args, _signal, timeoutMs) => {
		calls.push({mfa: `${module}:${fn}`, args, timeoutMs});
		const name = args[0] instanceof Atom ? args[0].name : '';
		if (module === 'code' && fn === 'lib_dir') {
			return name === 'ejabberd' ? '/compat/n/lib/ejabberd-23.01' : tuple(atom('error'), atom('bad_name'));
		}
		if (module === 'code' && fn === 'which') {
			return name === 'fast_xml' ? '/usr/lib/erlang/lib/p1_xml-1.1.49/ebin/fast_xml.beam' : name === 'xmpp' ? '/usr/lib/erlang/lib/p1_xmpp-1.6.1/ebin/xmpp.beam' : atom('non_existing');
		}
		if (module === 'compile' && fn === 'file') {
			return answer;
		}
		if (fn === 'format_error') {
			return formatted(module, args[0] as Term);
		}
		throw new Error(`unexpected call ${module}:${fn}`);
	};
	return {call, calls};
}

const BEAM = Buffer.from('FOR1 beam bytes');
const unused = (line: number) => tuple(tuple(line, 5), atom('erl_lint'), tuple(atom('unused_var'), atom('Unused')));

test('compile:file gets the source and include directories as the node sees them, libraries found as ext_mod\'s app_dir finds them', async t => {
	const {call, calls} = fakeNode(tuple(atom('ok'), atom('mod_x'), BEAM, []));
	const result = await compileOnNode(call, paths, REQUEST);
	const compile = calls.find(({mfa}) => mfa === 'compile:file');
	t.deepEqual(compile?.args, ['/compat/n/src/mod_x.erl', [
		atom('binary'), atom('return_errors'), atom('return_warnings'), atom('verbose'), atom('debug_info'),
		tuple(atom('i'), '/compat/n/include'),
		tuple(atom('i'), '/usr/lib/erlang/lib/p1_xml-1.1.49/include'),
		tuple(atom('i'), '/usr/lib/erlang/lib/p1_xmpp-1.6.1/include'),
		tuple(atom('i'), '/compat/n/lib/ejabberd-23.01/include'),
		tuple(atom('i'), '/srv/installed/include'),
	]]);
	t.is(compile?.timeoutMs, 45_000, 'the compile has the compile timeout, not the transport\'s');
	t.like(result, {beam: BEAM, module: 'mod_x', diagnostics: [], omitted: {errors: 0, warnings: 0}, nodeSource: '/compat/n/src/mod_x.erl'});
	t.deepEqual(result.applications, [
		{name: 'fast_xml', includeDir: '/usr/lib/erlang/lib/p1_xml-1.1.49/include', named: false},
		{name: 'xmpp', includeDir: '/usr/lib/erlang/lib/p1_xmpp-1.6.1/include', named: false},
		// Back in this host's view.
		{name: 'ejabberd', includeDir: '/root/compat/n/lib/ejabberd-23.01/include', named: true},
	]);
});

test('an application the node does not have at all is left out of the include path, and said so', async t => {
	const {call, calls} = fakeNode(tuple(atom('ok'), atom('mod_x'), BEAM, []));
	const result = await compileOnNode(call, paths, {...REQUEST, applications: ['p1_utils']});
	t.deepEqual(result.applications, [{name: 'p1_utils', includeDir: undefined, named: false}]);
	const options = calls.find(({mfa}) => mfa === 'compile:file')?.args[1] as Term[];
	t.false(options.some(option => formatTerm(option).includes('p1_utils')));
});

test('flags and features as compile:file terms', t => {
	t.deepEqual(compileFileOptions(['/i'], ['debug_info', 'warnings_as_errors'], ['maybe_expr']), [
		atom('binary'), atom('return_errors'), atom('return_warnings'), atom('debug_info'), atom('warnings_as_errors'),
		tuple(atom('feature'), atom('maybe_expr'), atom('enable')),
		tuple(atom('i'), '/i'),
	]);
});

test('each diagnostic\'s message is its reporter\'s format_error on the node, its file back in this host\'s view; errors before warnings', async t => {
	const {call, calls} = fakeNode(tuple(atom('error'), [
		tuple('/compat/n/src/bad.hrl', [tuple(tuple(3, 16), atom('erl_parse'), ['syntax error before: ', '\'->\''])]),
		tuple('/compat/n/src/mod_x.erl', [tuple(tuple(7, 2), atom('erl_lint'), tuple(atom('unbound_var'), atom('Y')))]),
	], [tuple('/compat/n/src/mod_x.erl', [unused(6)])]), (reporter, descriptor) => (reporter === 'erl_parse' ? [descriptor] : [Buffer.from(`${reporter} says `), formatTerm(descriptor)]));
	const result = await compileOnNode(call, paths, REQUEST);
	t.is(result.beam, undefined);
	t.deepEqual(result.diagnostics, [
		{file: '/root/compat/n/src/bad.hrl', line: 3, column: 16, severity: 'error', message: 'syntax error before: \'->\'', reporter: 'erl_parse'},
		{file: '/root/compat/n/src/mod_x.erl', line: 7, column: 2, severity: 'error', message: 'erl_lint says {unbound_var,\'Y\'}', reporter: 'erl_lint'},
		{file: '/root/compat/n/src/mod_x.erl', line: 6, column: 5, severity: 'warning', message: 'erl_lint says {unused_var,\'Unused\'}', reporter: 'erl_lint'},
	]);
	t.deepEqual(calls.filter(({mfa}) => mfa.endsWith('format_error')).map(({mfa}) => mfa), ['erl_parse:format_error', 'erl_lint:format_error', 'erl_lint:format_error']);
});

test('a reporter not to be asked (another parse transform) shows its descriptor; so does a formatter that fails or answers no text', async t => {
	const answer = tuple(atom('error'), [tuple('/compat/n/src/mod_x.erl', [
		tuple(1, atom('my_pt'), tuple(atom('bad'), 1)),
		tuple(2, atom('erl_lint'), atom('crashes')),
		tuple(3, atom('epp'), atom('odd')),
	])], []);
	const {call, calls} = fakeNode(answer, (reporter, descriptor) => {
		if (reporter === 'erl_lint') {
			throw new ReloaderError('ERR_NODE_COMMAND', 'badrpc');
		}
		// epp's answer is no chardata.
		return formatTerm(descriptor) === 'odd' ? tuple(atom('not'), atom('text')) : 'never';
	});
	const result = await compileOnNode(call, paths, REQUEST);
	t.deepEqual(result.diagnostics.map(({message}) => message), ['my_pt: {bad,1}', 'erl_lint: crashes', 'epp: odd']);
	t.false(calls.some(({mfa}) => mfa === 'my_pt:format_error'));
});

test('the node gone while formatting fails the compile (retryable), rather than keep half the messages', async t => {
	const {call} = fakeNode(tuple(atom('error'), [tuple('/compat/n/src/mod_x.erl', [tuple(1, atom('erl_lint'), atom('x'))])], []), () => {
		throw new ReloaderError('ERR_NODE_DOWN', 'gone', {retryable: true});
	});
	await t.throwsAsync(compileOnNode(call, paths, REQUEST), {code: 'ERR_NODE_DOWN'});
});

test('past maxDiagnostics only counts are kept, and no message is asked for them', async t => {
	const warnings = Array.from({length: 7}, (_, index) => unused(index + 1));
	const {call, calls} = fakeNode(tuple(atom('error'), [tuple('/compat/n/src/mod_x.erl', [tuple(9, atom('erl_lint'), atom('x')), tuple(10, atom('erl_lint'), atom('y'))])], [tuple('/compat/n/src/mod_x.erl', warnings)]));
	const result = await compileOnNode(call, paths, {...REQUEST, maxDiagnostics: 3});
	t.deepEqual(result.diagnostics.map(({severity, line}) => `${severity}@${line}`), ['error@9', 'error@10', 'warning@1']);
	t.deepEqual(result.omitted, {errors: 0, warnings: 6});
	t.is(calls.filter(({mfa}) => mfa.endsWith('format_error')).length, 3);
});

test('warnings_as_errors: the warnings that failed the compile are errors, as erlc -Werror prints them', async t => {
	const {call} = fakeNode(tuple(atom('error'), [], [tuple('/compat/n/src/mod_x.erl', [unused(8)])]));
	const result = await compileOnNode(call, paths, {...REQUEST, flags: ['debug_info', 'warnings_as_errors']});
	t.deepEqual(result.diagnostics.map(({severity}) => severity), ['error']);
	// Compiled anyway: they stay warnings.
	const {call: compiled} = fakeNode(tuple(atom('ok'), atom('mod_x'), BEAM, [tuple('/compat/n/src/mod_x.erl', [unused(8)])]));
	t.deepEqual((await compileOnNode(compiled, paths, {...REQUEST, flags: ['warnings_as_errors']})).diagnostics.map(({severity}) => severity), ['warning']);
});

test('a beam over maxBeamBytes is refused as an error of the module', async t => {
	const {call} = fakeNode(tuple(atom('ok'), atom('mod_x'), Buffer.alloc(2048), []));
	const result = await compileOnNode(call, paths, REQUEST);
	t.is(result.beam, undefined);
	t.deepEqual(result.diagnostics, [{file: REQUEST.source, severity: 'error', reporter: 'compile', message: 'the compiled beam is 2048 bytes, more than the 1024 bytes a beam may have (maxBeamBytes)'}]);
});

test('nothing is sent for a request whose names could become arbitrary atoms or options on the node', async t => {
	const {call, calls} = fakeNode(atom('error'));
	const error = await t.throwsAsync(compileOnNode(call, paths, {...REQUEST, source: 'src/mod_x.erl', applications: ['Xmpp'], flags: ['report' as 'verbose'], features: ['all' as 'maybe_expr']}), {instanceOf: ReloaderError});
	t.is(error?.code, 'ERR_COMPILE_SETUP');
	t.is(error?.message, 'Refusing to compile on the node: source "src/mod_x.erl" is not an absolute path; application "Xmpp" is no application name; flag "report" is unknown; feature "all" is unknown');
	t.deepEqual(calls, []);
});

test('every function it calls on the node is in the allow-list: compile:file, code:lib_dir and code:which, each formatter', t => {
	const allowed = new Set(RELOADER_ALLOW_LIST.map(({module, function: name, arity}) => `${module}:${name}/${arity}`));
	for (const entry of ['compile:file/2', 'code:lib_dir/1', 'code:which/1', ...MESSAGE_FORMATTERS.map(module => `${module}:format_error/1`)]) {
		t.true(allowed.has(entry), entry);
	}
});
