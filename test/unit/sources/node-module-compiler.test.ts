import test from 'ava';
import {ReloaderError} from '../../../daemon/errors.ts';
import {NodeModuleCompiler, type NodeModuleCompilerOptions} from '../../../daemon/sources/node-module-compiler.ts';
import type {CompileRequest} from '../../../daemon/sources/source-compiler.ts';
import type {NodeCompileRequest, NodeCompileResult} from '../../../daemon/transports/node-compile.ts';
import {syntheticBeam} from '../../support/synthetic-beam.ts';

const SOURCE = '/srv/contrib/mod_x/src/mod_x.erl';
const REQUEST: CompileRequest = {source: SOURCE, module: 'mod_x', includeDirs: ['/srv/contrib/mod_x/include'], signal: new AbortController().signal};

const DEBIAN_12_LIBRARIES: NodeCompileResult['applications'] = [
	{name: 'fast_xml', includeDir: '/usr/lib/erlang/lib/p1_xml-1.1.49/include', named: false},
	{name: 'xmpp', includeDir: '/usr/lib/erlang/lib/p1_xmpp-1.6.1/include', named: false},
	{name: 'p1_utils', includeDir: '/usr/lib/erlang/lib/p1_utils-1.0.25/include', named: true},
	{name: 'ejabberd', includeDir: '/usr/lib/x86_64-linux-gnu/ejabberd-23.01-1/include', named: true},
];

const compiled = (result: Partial<NodeCompileResult> = {}): NodeCompileResult => ({
	beam: syntheticBeam('mod_x', 1), module: 'mod_x', diagnostics: [], omitted: {errors: 0, warnings: 0}, nodeSource: '/opt/src/mod_x.erl', applications: DEBIAN_12_LIBRARIES, ...result,
});
const failed = (result: Partial<NodeCompileResult> = {}): NodeCompileResult => compiled({beam: undefined, module: undefined, ...result});

function compilerWith(answer: NodeCompileResult | Error, options: Partial<NodeModuleCompilerOptions> = {}) {
	const requests: NodeCompileRequest[] = [];
	const compiler = new NodeModuleCompiler({
		transport: {
			node: 'ejabberd@box',
			async compileModule(request) {
				requests.push(request);
				if (answer instanceof Error) {
					throw answer;
				}
				return answer;
			},
		},
		warningsAsErrors: false,
		timeoutMs: 30_000,
		maxBeamBytes: 64 * 1024 * 1024,
		ejabberdVersion: () => '23.01-1',
		...options,
	});
	return {compiler, requests};
}

test('named after the node; asks for ext_mod\'s options of the node\'s release, the module\'s include directories first', async t => {
	const {compiler, requests} = compilerWith(compiled());
	t.is(compiler.name, 'node\'s compiler (ejabberd@box)');
	const outcome = await compiler.compile(REQUEST);
	t.true(outcome.ok);
	t.deepEqual(requests, [{
		source: SOURCE,
		includeDirs: ['/srv/contrib/mod_x/include'],
		applications: ['fast_xml', 'xmpp', 'p1_utils', 'ejabberd'],
		lastIncludeDirs: [],
		flags: ['verbose', 'debug_info'],
		features: [],
		timeoutMs: 30_000,
		maxDiagnostics: 50,
		maxBeamBytes: 64 * 1024 * 1024,
	}]);
});

test('warnings: fail asks for warnings_as_errors; 25.10 enables maybe_expr as its ext_mod does', async t => {
	const {compiler, requests} = compilerWith(compiled(), {warningsAsErrors: true, ejabberdVersion: () => '25.10'});
	await compiler.compile(REQUEST);
	t.like(requests[0], {flags: ['verbose', 'debug_info', 'warnings_as_errors'], features: ['maybe_expr']});
});

test('the beam and its warnings, as CompileDiagnostics', async t => {
	const {compiler} = compilerWith(compiled({diagnostics: [{file: SOURCE, line: 8, column: 5, severity: 'warning', message: 'variable \'Unused\' is unused', reporter: 'erl_lint'}]}));
	const outcome = await compiler.compile(REQUEST);
	t.true(outcome.ok && Buffer.from(outcome.beam).equals(syntheticBeam('mod_x', 1)));
	t.deepEqual(outcome.diagnostics, [{file: SOURCE, line: 8, column: 5, severity: 'warning', message: 'variable \'Unused\' is unused'}]);
});

test('no beam: not compiled, every diagnostic kept; and one error said when the node said none', async t => {
	const syntax = {file: SOURCE, line: 57, column: 75, severity: 'error' as const, message: 'syntax error before: db_failure', reporter: 'erl_parse'};
	t.deepEqual(await compilerWith(failed({diagnostics: [syntax]})).compiler.compile(REQUEST), {ok: false, diagnostics: [{file: SOURCE, line: 57, column: 75, severity: 'error', message: 'syntax error before: db_failure'}]});
	t.deepEqual(await compilerWith(failed()).compiler.compile(REQUEST), {ok: false, diagnostics: [{file: SOURCE, severity: 'error', message: 'compile:file on ejabberd@box failed without saying why'}]});
});

test('what was only counted is said in one more diagnostic', async t => {
	const outcome = await compilerWith(failed({diagnostics: [{file: SOURCE, line: 1, severity: 'error', message: 'x', reporter: 'erl_lint'}], omitted: {errors: 3, warnings: 120}})).compiler.compile(REQUEST);
	t.deepEqual(outcome.diagnostics.at(-1), {file: SOURCE, severity: 'error', message: '3 errors and 120 warnings more left out (only the first ones are kept)'});
});

test('a source the node cannot read says where the node looked and what to change', async t => {
	const outcome = await compilerWith(failed({diagnostics: [{file: SOURCE, severity: 'error', message: 'no such file or directory', reporter: 'compile', cause: {kind: 'unreadable', reason: 'enoent'}}]})).compiler.compile(REQUEST);
	t.is(outcome.diagnostics[0]?.message, 'no such file or directory (the node looked for this source at "/opt/src/mod_x.erl": the node must see the sources directory, at the path `paths` maps it to (a container\'s volume, a chroot); or set compile.compiler: erlc)');
	const denied = await compilerWith(failed({diagnostics: [{file: SOURCE, severity: 'error', message: 'permission denied', reporter: 'compile', cause: {kind: 'unreadable', reason: 'eacces'}}]})).compiler.compile(REQUEST);
	t.is(denied.diagnostics[0]?.message, 'permission denied (the node cannot read this source at "/opt/src/mod_x.erl" (eacces): its user (ejabberd\'s) must be able to read the sources directory and every directory above it; or set compile.compiler: erlc)');
});

test('an -include_lib of a library the node has under another name (Debian 12) says where it is and the two ways out', async t => {
	const outcome = await compilerWith(failed({diagnostics: [{file: SOURCE, line: 17, column: 14, severity: 'error', message: 'can\'t find include lib "xmpp/include/xmpp.hrl"', reporter: 'epp', cause: {kind: 'includeLib', path: 'xmpp/include/xmpp.hrl', application: 'xmpp'}}]})).compiler.compile(REQUEST);
	t.is(outcome.diagnostics[0]?.message, 'can\'t find include lib "xmpp/include/xmpp.hrl" (the node has xmpp at "/usr/lib/erlang/lib/p1_xmpp-1.6.1", a name -include_lib cannot use (Debian 12 installs ejabberd\'s libraries as p1_*): put a directory named xmpp, linked to it, on the node\'s code path (e.g. `-pz <dir>/xmpp/ebin` in ERL_OPTIONS of ejabberdctl.cfg), or set compile.compiler: erlc, which makes such links itself)');
});

test('an -include_lib of a library the node names is just the error; of another application, how it resolves', async t => {
	const named = compiled({applications: DEBIAN_12_LIBRARIES.map(library => ({...library, named: true}))});
	const include = (application: string) => ({file: SOURCE, line: 3, column: 14, severity: 'error' as const, message: `can't find include lib "${application}/include/x.hrl"`, reporter: 'epp', cause: {kind: 'includeLib' as const, path: `${application}/include/x.hrl`, application}});
	t.is((await compilerWith(failed({...named, diagnostics: [include('xmpp')]})).compiler.compile(REQUEST)).diagnostics[0]?.message, 'can\'t find include lib "xmpp/include/x.hrl"');
	t.is((await compilerWith(failed({diagnostics: [include('mylib')]})).compiler.compile(REQUEST)).diagnostics[0]?.message, 'can\'t find include lib "mylib/include/x.hrl" (-include_lib resolves mylib on the node\'s code path (code:lib_dir(mylib)) or below an include directory)');
});

test('a message is one printable line of at most maxLineLength characters', async t => {
	const message = `error in parse transform 'crashing_pt':\nexception error: boom\u001b[31m\n  in function crashing_pt:parse_transform/2 ${'x'.repeat(2000)}`;
	const outcome = await compilerWith(failed({diagnostics: [{file: SOURCE, severity: 'error', message, reporter: 'compile'}]})).compiler.compile(REQUEST);
	const shown = outcome.diagnostics[0]?.message ?? '';
	t.true(shown.startsWith('error in parse transform \'crashing_pt\': exception error: boom\\u{001b}[31m in function'), shown);
	t.false(shown.includes('\n'));
	t.true(shown.endsWith('characters)'));
	t.true(shown.length < 1100);
});

test('a beam of another module than its file is refused, as erlc refuses it', async t => {
	const outcome = await compilerWith(compiled({module: 'mod_y', beam: syntheticBeam('mod_y', 1)})).compiler.compile(REQUEST);
	t.deepEqual(outcome, {ok: false, diagnostics: [{file: SOURCE, severity: 'error', message: 'Module name \'mod_y\' does not match file name \'mod_x\''}]});
});

test('bytes that are no whole beam are refused', async t => {
	const outcome = await compilerWith(compiled({beam: syntheticBeam('mod_x', 1).subarray(0, 40)})).compiler.compile(REQUEST);
	t.false(outcome.ok);
	t.regex(outcome.diagnostics[0]?.message ?? '', /^compile:file answered with a beam that is not whole: /);
});

test('before the node\'s release is known nothing is asked: ERR_COMPILE_SETUP, retryable', async t => {
	const {compiler, requests} = compilerWith(compiled(), {ejabberdVersion: () => undefined});
	const error = await t.throwsAsync(compiler.compile(REQUEST), {instanceOf: ReloaderError});
	t.like(error, {code: 'ERR_COMPILE_SETUP', retryable: true});
	t.deepEqual(requests, []);
});

test('a compile the node did not answer in time is ERR_COMPILE_TIMEOUT naming the option', async t => {
	const error = await t.throwsAsync(compilerWith(new ReloaderError('ERR_NODE_TIMEOUT', 'no answer', {retryable: true})).compiler.compile(REQUEST), {instanceOf: ReloaderError});
	t.like(error, {code: 'ERR_COMPILE_TIMEOUT', retryable: true, message: `compile:file of "${SOURCE}" on ejabberd@box did not answer within 30000 ms (the node may still be compiling it)`});
	t.true(error?.hint?.includes('compile.timeoutMs'));
});

test('an answer too large for the connection is ERR_COMPILE naming dist.maxFrameBytes; the node down passes as it came', async t => {
	const limit = await t.throwsAsync(compilerWith(new ReloaderError('ERR_DIST_LIMIT', 'x@y announced a 20000000-byte packet')).compiler.compile(REQUEST), {instanceOf: ReloaderError});
	t.like(limit, {code: 'ERR_COMPILE'});
	t.true(limit?.hint?.includes('dist.maxFrameBytes'));
	const down = new ReloaderError('ERR_NODE_DOWN', 'gone', {retryable: true});
	t.is(await t.throwsAsync(compilerWith(down).compiler.compile(REQUEST)), down);
});
