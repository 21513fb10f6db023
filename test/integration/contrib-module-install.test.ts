import {access, mkdir, readdir, readlink, rm, writeFile} from 'node:fs/promises';
import {join} from 'node:path';
import {performance} from 'node:perf_hooks';
import test from 'ava';
import {EJABBERD_CONTRIB, stageContribSources} from '../support/contrib.ts';
import {EJABBERD_VERSIONS, nodeCall, runCtl, withSandboxNode, type EjabberdVersion} from '../support/ejabberd.ts';

// `ejabberdctl module_install` of a real contrib module (processone's
// mod_cron, unchanged) into a sandbox node, offline: from sources staged in
// its private CONTRIB_MODULES_PATH, compiled inside the node, which needs
// `code:lib_dir(xmpp)` (Debian 12 names the library p1_xmpp-1.6.1; the
// sandbox's deps/ links give it that name).

const exists = (path: string): Promise<boolean> => access(path).then(() => true, () => false);

const installs = test.macro({
	async exec(t, ejabberd: EjabberdVersion) {
		const node = await withSandboxNode(t, {ejabberd});
		const deps = node.toNodePath(node.depsDir);

		// The links are relative, so they hold for the node (inside a root too) and for us.
		for (const name of await readdir(node.depsDir)) {
			t.regex(await readlink(join(node.depsDir, name)), /^(\.\.\/)+usr\/lib\/erlang\/lib\/p1_/, name);
		}
		t.true(await exists(join(node.depsDir, 'xmpp', 'include', 'xmpp.hrl')));
		t.is(await nodeCall(node, 'filelib:is_file(filename:join(code:lib_dir(xmpp), "include/xmpp.hrl"))'), 'true');
		// Last on the code path: no module, loaded or not, is found through deps/ instead of where it was before.
		t.is(await nodeCall(node, `[M || F <- filelib:wildcard("${deps}/*/ebin/*.beam"), M <- [list_to_atom(filename:basename(F, ".beam"))], string:find(code:which(M), "/deps/") =/= nomatch]`), '[]');

		await stageContribSources(node, EJABBERD_CONTRIB, 'mod_cron');
		// The admin's own config of a contrib module (ext_mod's conf dir wins over
		// the module's conf/, whose mod_cron.yml leaves it commented out): the
		// install then starts the module.
		const override = join(node.contribDir, 'conf', 'mod_cron.yml');
		await mkdir(join(node.contribDir, 'conf'));
		await writeFile(override, 'modules:\n  mod_cron: {}\n');

		const start = performance.now();
		const install = await runCtl(node, 'module_install', 'mod_cron');
		t.log(`${ejabberd}: module_install mod_cron took ${(performance.now() - start).toFixed(0)} ms`);
		t.is(install.code, 0, install.stdout + install.stderr);
		t.regex(install.stdout, /^Module mod_cron has been installed and started\.$/m);
		const beam = join(node.contribDir, 'mod_cron', 'ebin', 'mod_cron.beam');
		t.true(await exists(beam));
		t.is(await nodeCall(node, 'code:is_loaded(mod_cron)'), `{file, "${node.toNodePath(beam)}"}`);
		t.is(await nodeCall(node, 'gen_mod:is_loaded(<<"localhost">>, mod_cron)'), 'true');
		// A command the module registers when it starts.
		t.is((await runCtl(node, 'cron_list', 'localhost')).code, 0);
		t.is(await nodeCall(node, '[M || {M, F} <- code:all_loaded(), is_list(F), string:find(F, "/deps/") =/= nomatch]'), '[]');

		// Uninstall stops the module and reloads the config, which must no longer name it.
		await rm(override);
		const uninstall = await runCtl(node, 'module_uninstall', 'mod_cron');
		t.is(uninstall.code, 0, uninstall.stdout + uninstall.stderr);
		t.false(await exists(join(node.contribDir, 'mod_cron')));
		t.is(await nodeCall(node, 'code:is_loaded(mod_cron)'), 'false');
		t.is(await nodeCall(node, 'gen_mod:is_loaded(<<"localhost">>, mod_cron)'), 'false');
	},
	title: (_, ejabberd: EjabberdVersion) => `${ejabberd}: module_install compiles, installs and starts mod_cron from staged sources; module_uninstall removes it`,
});

for (const ejabberd of EJABBERD_VERSIONS) {
	test(installs, ejabberd);
}
