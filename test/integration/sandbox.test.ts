import {access, mkdtemp, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {dirname, join} from 'node:path';
import test from 'ava';
import {ReloaderError} from '../../daemon/errors.ts';
import {startSandboxNode} from '../../daemon/sandbox/sandbox-node.ts';
import {nodeCall, runCtl, useSandboxNode, withSandboxNode} from '../support/ejabberd.ts';
import {compileFixture, installBeam} from '../support/fixtures.ts';

const sandbox = useSandboxNode(test);

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
	const error = await t.throwsAsync(startSandboxNode({name: 'Bad-Name', baseDir: '/tmp/has space', startTimeoutMs: -1}), {instanceOf: ReloaderError});
	t.is(error?.code, 'ERR_SANDBOX');
	t.regex(error?.message ?? '', /name must match/);
	t.regex(error?.message ?? '', /baseDir must be/);
	t.regex(error?.message ?? '', /startTimeoutMs must be/);
});
