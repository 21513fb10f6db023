import test from 'ava';
import {ReloaderError} from '../../../daemon/errors.ts';
import {loadSandboxTemplates, moduleNameProblems, renderSandboxConfigs, sandboxOptionProblems} from '../../../daemon/sandbox/sandbox-config.ts';
import {hostPath, nodePath, type SandboxInstall} from '../../../daemon/sandbox/sandbox-install.ts';

const values = {c2sPort: 5301, httpPort: 5302, nodeName: 'reloader_test', configDir: '/compat/n/etc', ebinDir: '/compat/n/lib/ejabberd-24.12/ebin', contribDir: '/compat/n/contrib'};

test('ejabberdctl.cfg points CONTRIB_MODULES_PATH at the sandbox\'s own dir, and the code path at its ebin', async t => {
	const files = renderSandboxConfigs(await loadSandboxTemplates(), values);
	t.regex(files['ejabberdctl.cfg'] ?? '', /^CONTRIB_MODULES_PATH=\/compat\/n\/contrib$/m);
	t.regex(files['ejabberdctl.cfg'] ?? '', /^ERL_OPTIONS="-pa \/compat\/n\/lib\/ejabberd-24.12\/ebin /m);
	t.regex(files['ejabberdctl.cfg'] ?? '', /^EJABBERD_CONFIG_PATH=\/compat\/n\/etc\/ejabberd.yml$/m);
});

test('ejabberd.yml has an empty modules: map by default', async t => {
	const files = renderSandboxConfigs(await loadSandboxTemplates(), values);
	t.regex(files['ejabberd.yml'] ?? '', /^modules: \{\}$/m);
});

test('ejabberd.yml enables each given module once, with its defaults', async t => {
	const files = renderSandboxConfigs(await loadSandboxTemplates(), {...values, modules: ['mod_echo', 'mod_version', 'mod_echo']});
	t.regex(files['ejabberd.yml'] ?? '', /^modules:\n {2}mod_echo: \{\}\n {2}mod_version: \{\}\n?$/m);
});

const badNames = test.macro({
	exec(t, name: unknown) {
		t.is(moduleNameProblems([name]).length, 1);
	},
	title: (_, name: unknown) => `${JSON.stringify(name)} is not a module name`,
});
for (const name of ['', 'Mod_x', 'mod-x', 'mod x', 'mod_x: {}', '1mod', 'mod_x\nmodules: []', 'a'.repeat(256), 5, null]) {
	test(badNames, name);
}

test('module names that are plain atoms pass', t => {
	t.deepEqual(moduleNameProblems(['mod_echo', 'mod_muc_log_http', 'mod_statsdX', 'a'.repeat(255)]), []);
});

test('a bad module name stops the yml from rendering, with the name quoted', async t => {
	const error = t.throws(() => renderSandboxConfigs({ejabberdYml: 'modules:{{modules}}\n', ejabberdctlCfg: ''}, {...values, modules: ['mod_ok', 'mod_x: {}']}), {instanceOf: ReloaderError});
	t.regex(error?.message ?? '', /got `"mod_x: \{\}"` \(string\)/);
});

test('a root\'s baseDir must lie inside it; every option problem is listed at once', t => {
	const problems = sandboxOptionProblems({name: 'n', baseDir: '/tmp/x', startTimeoutMs: 1, root: '/srv/root', modules: ['mod-bad']});
	t.is(problems.length, 2);
	t.regex(problems[0] ?? '', /baseDir must lie inside root \/srv\/root/);
	t.regex(problems[1] ?? '', /module name must match/);
	t.deepEqual(sandboxOptionProblems({name: 'n', baseDir: '/srv/root/compat', startTimeoutMs: 1, root: '/srv/root'}), []);
});

test('paths map between the host and a node chrooted in a root, and are unchanged without one', t => {
	const install = (root: string | undefined): SandboxInstall => ({root, ejabberdctl: '/usr/sbin/ejabberdctl', libDir: '/x', version: '24.12', user: {name: 'ejabberd', uid: 1, gid: 1, home: '/var/lib/ejabberd'}});
	t.is(nodePath(install('/srv/root'), '/srv/root/compat/n/ebin'), '/compat/n/ebin');
	t.is(hostPath(install('/srv/root'), '/compat/n/ebin'), '/srv/root/compat/n/ebin');
	t.is(nodePath(install(undefined), '/tmp/n/ebin'), '/tmp/n/ebin');
	t.is(hostPath(install(undefined), '/tmp/n/ebin'), '/tmp/n/ebin');
	t.throws(() => nodePath(install('/srv/root'), '/srv/rootless/n'), {instanceOf: ReloaderError});
});

test('erlOptions are appended to ERL_OPTIONS, one word each (TLS distribution reaches the node and ejabberdctl\'s control node)', async t => {
	const erlOptions = ['-proto_dist', 'inet_tls', '-ssl_dist_optfile', '/tmp/reloader-tls-x/ssl_dist.conf'];
	const files = renderSandboxConfigs(await loadSandboxTemplates(), {...values, erlOptions});
	t.regex(files['ejabberdctl.cfg'] ?? '', /^ERL_OPTIONS="-pa \/compat\/n\/lib\/ejabberd-24.12\/ebin -kernel inet_dist_use_interface \{127,0,0,1\} -proto_dist inet_tls -ssl_dist_optfile \/tmp\/reloader-tls-x\/ssl_dist.conf"$/m);
	t.regex(renderSandboxConfigs(await loadSandboxTemplates(), values)['ejabberdctl.cfg'] ?? '', /^ERL_OPTIONS="[^"]*\{127,0,0,1\}"$/m);
});

test('each library alias dir\'s ebin goes last on the code path (-pz), before the extra erlOptions; a bad path is refused', async t => {
	const templates = await loadSandboxTemplates();
	const libraryAliasDirs = ['/compat/n/deps/fast_xml', '/compat/n/deps/xmpp'];
	const files = renderSandboxConfigs(templates, {...values, libraryAliasDirs, erlOptions: ['-proto_dist', 'inet_tls']});
	t.regex(files['ejabberdctl.cfg'] ?? '', /^ERL_OPTIONS="-pa \/compat\/n\/lib\/ejabberd-24.12\/ebin -kernel inet_dist_use_interface \{127,0,0,1\} -pz \/compat\/n\/deps\/fast_xml\/ebin -pz \/compat\/n\/deps\/xmpp\/ebin -proto_dist inet_tls"$/m);
	const error = t.throws(() => renderSandboxConfigs(templates, {...values, libraryAliasDirs: ['/compat/n/deps/xmpp', 'deps/$(id)']}), {instanceOf: ReloaderError});
	t.regex(error?.message ?? '', /libraryAliasDirs\[1\] must be an absolute path .* got `"deps\/\$\(id\)"` \(string\)/);
});

test('an erlOptions word that ejabberdctl would split, expand or unquote is refused, each one named', t => {
	const problems = sandboxOptionProblems({name: 'n', baseDir: '/tmp', startTimeoutMs: 1, erlOptions: ['-proto_dist inet_tls', '$(id)', 'a"b', '`x`', 'ok_word', 7]});
	t.is(problems.length, 5);
	t.regex(problems[0] ?? '', /each erlOptions word must match .* got `"-proto_dist inet_tls"` \(string\)/);
	t.throws(() => renderSandboxConfigs({ejabberdYml: 'modules:{{modules}}\n', ejabberdctlCfg: '{{erlOptions}}'}, {...values, erlOptions: ['a;b']}), {instanceOf: ReloaderError});
});
