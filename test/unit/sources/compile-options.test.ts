import test from 'ava';
import {ReloaderError} from '../../../daemon/errors.ts';
import {EXT_MOD_APPLICATIONS, buildErlcCommand, erlcEnvironment, extModCompileOptions, extModOptionsOf, type CompileEnvironment} from '../../../daemon/sources/compile-options.ts';

const E23 = '/usr/lib/x86_64-linux-gnu/ejabberd-23.01-1';
const E24 = '/usr/lib/x86_64-linux-gnu/ejabberd-24.12';

const env23: CompileEnvironment = {ejabberdVersion: '23.01', ejabberdEbin: `${E23}/ebin`, ejabberdInclude: `${E23}/include`, aliasDir: '/run/reloader/aliases'};
const env24: CompileEnvironment = {ejabberdVersion: '24.12', ejabberdEbin: `${E24}/ebin`, ejabberdInclude: `${E24}/include`, aliasDir: '/run/reloader/aliases'};

const target = {
	sourceFile: '/home/dev/contrib/mod_foo/src/mod_foo.erl',
	outDir: '/tmp/ejabberd-reloader-erlc-abc',
	includeDirs: ['/home/dev/contrib/mod_foo/include'],
	moduleDir: '/home/dev/contrib/mod_foo',
};

const LIBRARY_INCLUDES = ['-I', '/run/reloader/aliases/fast_xml/include', '-I', '/run/reloader/aliases/xmpp/include', '-I', '/run/reloader/aliases/p1_utils/include'];

test('23.01: ext_mod\'s options, the module\'s include directory first, then fast_xml, xmpp, p1_utils, ejabberd', t => {
	const command = buildErlcCommand(env23, target);
	t.is(command.command, 'erlc');
	t.deepEqual(command.args, [
		'-o', '/tmp/ejabberd-reloader-erlc-abc',
		'-v',
		'+debug_info',
		'-I', '/home/dev/contrib/mod_foo/include',
		...LIBRARY_INCLUDES,
		'-I', `${E23}/include`,
		'-pa', `${E23}/ebin`,
		'--', '/home/dev/contrib/mod_foo/src/mod_foo.erl',
	]);
	t.deepEqual(command.env, {ERL_LIBS: '/run/reloader/aliases'});
});

test('24.12: the module folder\'s parent is searched first (ext_mod from 24.06 on), then the module\'s include directories', t => {
	t.deepEqual(buildErlcCommand(env24, target).args, [
		'-o', '/tmp/ejabberd-reloader-erlc-abc',
		'-v',
		'+debug_info',
		'-I', '/home/dev/contrib',
		'-I', '/home/dev/contrib/mod_foo/include',
		...LIBRARY_INCLUDES,
		'-I', `${E24}/include`,
		'-pa', `${E24}/ebin`,
		'--', '/home/dev/contrib/mod_foo/src/mod_foo.erl',
	]);
});

test('24.12 without a module folder: nothing is guessed', t => {
	const args = buildErlcCommand(env24, {sourceFile: '/src/mod_foo.erl', outDir: '/out'}).args;
	t.deepEqual(args.slice(0, 10), ['-o', '/out', '-v', '+debug_info', ...LIBRARY_INCLUDES]);
});

test('23.01 ignores the module folder: its ext_mod searches only <module>/include, which the caller passes', t => {
	const args = buildErlcCommand(env23, {...target, includeDirs: []}).args;
	t.false(args.includes('/home/dev/contrib'));
	t.deepEqual(args.slice(0, 10), ['-o', '/tmp/ejabberd-reloader-erlc-abc', '-v', '+debug_info', ...LIBRARY_INCLUDES]);
});

test('installed modules\' include directories come last, after ejabberd\'s', t => {
	const args = buildErlcCommand({...env23, installedIncludeDirs: ['/root/.ejabberd-modules/mod_cron/include']}, target).args;
	t.deepEqual(args.slice(args.indexOf(`${E23}/include`) - 1, args.indexOf('-pa')), ['-I', `${E23}/include`, '-I', '/root/.ejabberd-modules/mod_cron/include']);
});

test('no -D: ?ALL_DEFS nests its defines in a list compile:file does not read, and LAGER is for OTP before 22', t => {
	for (const environment of [env23, env24]) {
		t.false(buildErlcCommand(environment, target).args.some(arg => arg.startsWith('-D')));
	}
});

test('warningsAsErrors adds -Werror after ext_mod\'s own flags, before the file', t => {
	const args = buildErlcCommand({...env23, warningsAsErrors: true}, target).args;
	t.deepEqual(args.slice(0, 5), ['-o', target.outDir, '-v', '+debug_info', '-Werror']);
	t.deepEqual(args.slice(-2), ['--', target.sourceFile]);
	t.false(buildErlcCommand({...env23, warningsAsErrors: false}, target).args.includes('-Werror'));
});

test('the erlc to run can be given (a path, or a fake in tests)', t => {
	t.is(buildErlcCommand({...env23, erlc: '/opt/otp-25/bin/erlc'}, target).command, '/opt/otp-25/bin/erlc');
});

test('a source whose name starts with - stays a file, after --', t => {
	t.deepEqual(buildErlcCommand(env23, {...target, sourceFile: '-mod.erl'}).args.slice(-2), ['--', '-mod.erl']);
});

const releases = test.macro({
	exec(t, version: string, expected: ReturnType<typeof extModOptionsOf>) {
		t.deepEqual(extModOptionsOf(version), expected);
	},
	title: (_title, version: string) => `extModOptionsOf(${JSON.stringify(version)})`,
});

test(releases, '23.01', {searchesModuleParent: false, enablesMaybeExpr: false});
test(releases, '23.01-1', {searchesModuleParent: false, enablesMaybeExpr: false});
test(releases, '24.05', {searchesModuleParent: false, enablesMaybeExpr: false});
test(releases, '24.06', {searchesModuleParent: true, enablesMaybeExpr: false});
test(releases, '24.12', {searchesModuleParent: true, enablesMaybeExpr: false});
test(releases, '24.12-3+deb13u2', {searchesModuleParent: true, enablesMaybeExpr: false});
test(releases, '25.07', {searchesModuleParent: true, enablesMaybeExpr: false});
test(releases, '25.10', {searchesModuleParent: true, enablesMaybeExpr: true});
test(releases, '26.03.1', {searchesModuleParent: true, enablesMaybeExpr: true});

test('25.10 on: maybe_expr enabled as ext_mod\'s term', t => {
	t.true(buildErlcCommand({...env24, ejabberdVersion: '25.10'}, target).args.includes('+{feature,maybe_expr,enable}'));
	t.false(buildErlcCommand(env24, target).args.includes('+{feature,maybe_expr,enable}'));
});

for (const version of ['', '23', 'v23.01', '2301', 'latest', '23.1']) {
	test(`a version that is none: ${JSON.stringify(version)}`, t => {
		const error = t.throws(() => buildErlcCommand({...env23, ejabberdVersion: version}, target), {instanceOf: ReloaderError});
		t.is(error?.code, 'ERR_CONFIG_INVALID');
		t.true(error?.message.includes(JSON.stringify(version)));
	});
}

test('erlcEnvironment: the daemon\'s Erlang settings are dropped, ERL_LIBS is the aliases, no crash dump', t => {
	const command = buildErlcCommand(env23, target);
	const env = erlcEnvironment({PATH: '/usr/bin:/bin', HOME: '/var/lib/reloader', ERL_COMPILER_OPTIONS: '[warnings_as_errors]', ERL_FLAGS: '-sname x', ERL_AFLAGS: '-pa /x', ERL_ZFLAGS: '-pz /y', ERL_LIBS: '/elsewhere', UNSET: undefined}, command);
	t.deepEqual(env, {PATH: '/usr/bin:/bin', HOME: '/var/lib/reloader', ERL_CRASH_DUMP_SECONDS: '0', ERL_LIBS: '/run/reloader/aliases'});
});

test('the command is frozen', t => {
	const command = buildErlcCommand(env23, target);
	t.true(Object.isFrozen(command));
	t.true(Object.isFrozen(command.args));
	t.true(Object.isFrozen(command.env));
});

test('extModCompileOptions: one description per release, in compile:file\'s names, that erlc\'s command is spelled from', t => {
	t.deepEqual(extModCompileOptions({ejabberdVersion: '23.01-1', includeDirs: ['/m/include'], moduleDir: '/c/mod_foo'}), {
		includeDirs: ['/m/include'],
		applications: ['fast_xml', 'xmpp', 'p1_utils', 'ejabberd'],
		lastIncludeDirs: [],
		flags: ['verbose', 'debug_info'],
		features: [],
	});
	t.deepEqual(extModCompileOptions({ejabberdVersion: '25.10', includeDirs: ['/m/include'], moduleDir: '/c/mod_foo', installedIncludeDirs: ['/i/include'], warningsAsErrors: true}), {
		includeDirs: ['/c', '/m/include'],
		applications: ['fast_xml', 'xmpp', 'p1_utils', 'ejabberd'],
		lastIncludeDirs: ['/i/include'],
		flags: ['verbose', 'debug_info', 'warnings_as_errors'],
		features: ['maybe_expr'],
	});
	t.deepEqual(EXT_MOD_APPLICATIONS, ['fast_xml', 'xmpp', 'p1_utils', 'ejabberd']);
});

test('extModCompileOptions is frozen through, and refuses a version that is none as erlc\'s command does', t => {
	const options = extModCompileOptions({ejabberdVersion: '24.12'});
	for (const part of [options, options.includeDirs, options.applications, options.lastIncludeDirs, options.flags, options.features]) {
		t.true(Object.isFrozen(part));
	}
	t.throws(() => extModCompileOptions({ejabberdVersion: 'latest'}), {code: 'ERR_CONFIG_INVALID'});
});
