import {access, chown, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {dirname, join, relative} from 'node:path';
import test from 'ava';
import {ReloaderError} from '../../daemon/errors.ts';
import {startSandboxNode} from '../../daemon/sandbox/sandbox-node.ts';
import {nodeCall, runCtl, useSandboxNode, withSandboxNode} from '../support/ejabberd.ts';
import {compileFixture, installBeam} from '../support/fixtures.ts';

// mod_version: a stock module, enabled through the `modules` option.
const sandbox = useSandboxNode(test, {modules: ['mod_version']});

/** The system's contrib modules dir, which a sandbox must never write into. */
const SYSTEM_CONTRIB_DIR = '/var/lib/ejabberd/.ejabberd-modules';

/** Every path under `dir`, recursively, with its size and mtime; `[]` if it does not exist. */
async function listing(dir: string): Promise<string[]> {
	const names = await readdir(dir, {recursive: true}).catch((error: unknown) => {
		if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
			return [];
		}
		throw error;
	});
	return Promise.all(names.sort().map(async name => {
		const stats = await stat(join(dir, name));
		return `${name} ${stats.size} ${stats.mtimeMs}`;
	}));
}

const exists = (path: string) => access(path).then(() => true, () => false);

function groupIsGone(pid: number): boolean {
	try {
		process.kill(-pid, 0);
		return false;
	} catch (error) {
		return (error as NodeJS.ErrnoException).code === 'ESRCH';
	}
}

async function scratchDir(t: {teardown: (fn: () => Promise<void>) => void}): Promise<string> {
	const dir = await mkdtemp(join(tmpdir(), 'reloader-beams-'));
	t.teardown(() => rm(dir, {recursive: true, force: true}));
	return dir;
}

// Serial, and first: anything that calls into ejabberd_update (update_list
// below) loads it, and this test is about the state right after start.
test.serial('ejabberd_update is not loaded right after start (the original write-up\'s bug)', async t => {
	t.is(await nodeCall(sandbox(), 'code:is_loaded(ejabberd_update)'), 'false');
});

test.serial('ejabberdctl status works with ctlCommand', async t => {
	const {code, stdout} = await runCtl(sandbox(), 'status');
	t.is(code, 0);
	t.regex(stdout, /ejabberd .* is running in that node/);
});

test.serial('code:which(ejabberd) points into the private ebin', async t => {
	const node = sandbox();
	t.is(await nodeCall(node, 'code:which(ejabberd)'), `"${join(node.ebinDir, 'ejabberd.beam')}"`);
});

test.serial('the node runs with the ejabberd user\'s HOME, so it uses cookieFile', async t => {
	const node = sandbox();
	t.is(await nodeCall(node, 'init:get_argument(home)'), `{ok, [["${dirname(node.cookieFile)}"]]}`);
	t.true(await exists(node.cookieFile));
});

test.serial('a loaded fixture is listed by update_list once v2 is installed, and update loads v2', async t => {
	const node = sandbox();
	const [v1, v2] = await Promise.all([scratchDir(t), scratchDir(t)]);
	await installBeam(await compileFixture('reload_probe', 1, v1), node.ebinDir);
	// Installed but never loaded: update_info must ignore it.
	await installBeam(await compileFixture('reload_other', 1, v1), node.ebinDir);
	t.is(await nodeCall(node, 'code:ensure_loaded(reload_probe)'), '{module, reload_probe}');
	t.is(await nodeCall(node, 'reload_probe:version()'), '1');

	await installBeam(await compileFixture('reload_probe', 2, v2), node.ebinDir);
	await installBeam(await compileFixture('reload_other', 2, v2), node.ebinDir);
	const listed = await runCtl(node, 'update_list');
	t.is(listed.code, 0);
	t.deepEqual(listed.stdout.split('\n').filter(line => line !== ''), ['reload_probe']);

	t.is((await runCtl(node, 'update', 'reload_probe')).code, 0);
	t.is(await nodeCall(node, 'reload_probe:version()'), '2');
});

test.serial('mod_http_api answers update_list to an unauthenticated loopback caller', async t => {
	const response = await globalThis.fetch(`http://127.0.0.1:${sandbox().ports.http}/api/update_list`, {method: 'POST', body: '{}'});
	t.is(response.status, 200);
	t.true(Array.isArray(await response.json()));
});

test('stop() ends the process group and removes the dir; a second stop() is a no-op', async t => {
	const node = await withSandboxNode(t);
	t.true(await exists(node.dir));
	await node.stop();
	t.false(await exists(node.dir));
	t.true(groupIsGone(node.pid));
	t.throws(() => process.kill(node.pid, 0), {code: 'ESRCH'});
	await t.notThrowsAsync(node.stop());
});

test('restart() gives a working node with a new pid and the same dir', async t => {
	const node = await withSandboxNode(t);
	const firstPid = node.pid;
	await node.restart();
	t.not(node.pid, firstPid);
	t.true(groupIsGone(firstPid));
	t.is((await runCtl(node, 'status')).code, 0);
	t.is(await nodeCall(node, 'node()'), node.node);
	t.true(await exists(node.dir));
});

test('invalid options are all reported at once, before anything starts', async t => {
	const error = await t.throwsAsync(startSandboxNode({name: 'Bad-Name', baseDir: '/tmp/has space', startTimeoutMs: -1, modules: ['mod_ok', 'Mod-Bad']}), {instanceOf: ReloaderError});
	t.regex(error?.message ?? '', /module name must match .*got `?"Mod-Bad"/);
	t.is(error?.code, 'ERR_SANDBOX');
	t.regex(error?.message ?? '', /name must match/);
	t.regex(error?.message ?? '', /baseDir must be/);
	t.regex(error?.message ?? '', /startTimeoutMs must be/);
});

test.serial('the sandbox\'s CONTRIB_MODULES_PATH is a directory of its own, in its ejabberdctl.cfg', async t => {
	const node = sandbox();
	t.true(node.contribDir.startsWith(`${node.dir}/`));
	t.true((await stat(node.contribDir)).isDirectory());
	const cfg = await readFile(join(node.configDir, 'ejabberdctl.cfg'), 'utf8');
	t.regex(cfg, new RegExp(`^CONTRIB_MODULES_PATH=${node.contribDir}$`, 'm'));
});

test.serial('module_install against the sandbox installs into its contrib dir and leaves the system\'s untouched', async t => {
	const node = sandbox();
	const before = await listing(SYSTEM_CONTRIB_DIR);
	// A contrib module as ext_mod finds one offline: sources/<module>/<module>.spec and src/.
	const source = join(node.contribDir, 'sources', 'mod_sandbox_probe');
	await mkdir(join(source, 'src'), {recursive: true});
	await writeFile(join(source, 'mod_sandbox_probe.spec'), 'author: "ejabberd-reloader tests"\nsummary: "Sandbox probe"\nhome: "https://example.invalid/"\nurl: "https://example.invalid/"\n');
	await writeFile(join(source, 'src', 'mod_sandbox_probe.erl'), '-module(mod_sandbox_probe).\n-export([version/0]).\nversion() -> 1.\n');
	// ext_mod compiles in place and writes beside the sources, as the node's user.
	const owner = await stat(node.contribDir);
	for (const path of ['sources', 'sources/mod_sandbox_probe', 'sources/mod_sandbox_probe/src', 'sources/mod_sandbox_probe/mod_sandbox_probe.spec', 'sources/mod_sandbox_probe/src/mod_sandbox_probe.erl']) {
		await chown(join(node.contribDir, path), owner.uid, owner.gid);
	}

	const available = await runCtl(node, 'modules_available');
	t.is(available.code, 0, available.stdout + available.stderr);
	t.regex(available.stdout, /mod_sandbox_probe/);
	const installed = await runCtl(node, 'module_install', 'mod_sandbox_probe');
	t.log(`module_install: ${JSON.stringify(installed.stdout)}`);
	t.is(installed.code, 0, installed.stdout + installed.stderr);
	const beam = join(node.contribDir, 'mod_sandbox_probe', 'ebin', 'mod_sandbox_probe.beam');
	t.true(await exists(beam));
	t.is(await nodeCall(node, 'mod_sandbox_probe:version()'), '1');
	t.is(await nodeCall(node, 'code:which(mod_sandbox_probe)'), `"${node.toNodePath(beam)}"`);
	t.deepEqual(await listing(SYSTEM_CONTRIB_DIR), before);
	t.false(relative(node.dir, beam).startsWith('..'));
});

test.serial('the modules option enables a module in the sandbox\'s ejabberd.yml, and the node runs it', async t => {
	const node = sandbox();
	t.is(node.configFile, join(node.configDir, 'ejabberd.yml'));
	t.regex(await readFile(node.configFile, 'utf8'), /^modules:\n {2}mod_version: \{\}$/m);
	t.is(await nodeCall(node, 'gen_mod:is_loaded(<<"localhost">>, mod_version)'), 'true');
});
