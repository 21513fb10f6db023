import {mkdir, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import test from 'ava';
import {parse, stringify} from 'yaml';
import {ReloaderError} from '../../daemon/errors.ts';
import {findFreePort} from '../../daemon/sandbox/free-port.ts';
import type {SandboxNode} from '../../daemon/sandbox/sandbox-node.ts';
import {HttpTransport, type HttpTransportOptions} from '../../daemon/transports/http/http-transport.ts';
import {nodeCall, runCtl, useSandboxNode} from '../support/ejabberd.ts';
import {compileFixture, installBeam} from '../support/fixtures.ts';
import {waitUntil} from '../support/wait.ts';

/**
 * HttpTransport against a real node's mod_http_api. The sandbox template
 * grants update and update_list to loopback by ip; the last test swaps that
 * for Debian's stock rule, to see what an operator without our snippet meets.
 */
const getNode = useSandboxNode(test);
const ADMIN_PASSWORD = 'sandbox-Admin-pw';
let buildDir = '';
let probeV2 = '';

function transport(node: SandboxNode, options: Partial<HttpTransportOptions> = {}): HttpTransport {
	return new HttpTransport({url: `http://127.0.0.1:${node.ports.http}/api`, timeoutMs: 60_000, node: node.node, ...options});
}

test.serial.before(async () => {
	const node = getNode();
	buildDir = await mkdtemp(join(tmpdir(), 'reloader-http-build-'));
	await Promise.all([mkdir(join(buildDir, 'v1')), mkdir(join(buildDir, 'v2'))]);
	await installBeam(await compileFixture('reload_probe', 1, join(buildDir, 'v1')), node.ebinDir);
	probeV2 = await compileFixture('reload_probe', 2, join(buildDir, 'v2'));
	await nodeCall(node, 'code:ensure_loaded(reload_probe)');
});

test.after.always(async () => {
	if (buildDir !== '') {
		await rm(buildDir, {recursive: true, force: true});
	}
});

test.serial('ensureUpdaterLoaded leaves ejabberd_update loaded', async t => {
	const node = getNode();
	t.is(await nodeCall(node, 'code:is_loaded(ejabberd_update)'), 'false');
	t.like(await transport(node).ensureUpdaterLoaded(), {method: 'mod_http_api update_list', wasLoaded: undefined, versions: {ejabberd: '23.01-1'}});
	t.regex(await nodeCall(node, 'code:is_loaded(ejabberd_update)'), /^\{file,/);
});

test.serial('update_list lists a loaded module whose v2 was installed', async t => {
	const node = getNode();
	t.false((await transport(node).updateInfo()).modules.includes('reload_probe'));
	await installBeam(probeV2, node.ebinDir);
	const info = await transport(node).updateInfo();
	t.deepEqual(info.modules, ['reload_probe']);
	t.deepEqual(JSON.parse(info.raw), ['reload_probe']);
});

test.serial('update loads v2, and the next update_list no longer lists it', async t => {
	const node = getNode();
	t.is(await nodeCall(node, 'reload_probe:version()'), '1');
	const outcome = await transport(node).update(['reload_probe']);
	t.is(outcome.result, undefined);
	t.is(outcome.raw, '""');
	t.is(await nodeCall(node, 'reload_probe:version()'), '2');
	t.false((await transport(node).updateInfo()).modules.includes('reload_probe'));
});

test.serial('`all` is refused before it reaches the node', async t => {
	const error = await t.throwsAsync(transport(getNode()).update(['all']), {instanceOf: ReloaderError});
	t.is(error?.code, 'ERR_MODULE_NAME');
});

test.serial('a URL path that is not mod_http_api is ERR_HTTP 404', async t => {
	const node = getNode();
	const error = await t.throwsAsync(transport(node, {url: `http://127.0.0.1:${node.ports.http}/nope`}).updateInfo(), {instanceOf: ReloaderError});
	t.is(error?.code, 'ERR_HTTP');
	t.false(error?.retryable);
	t.regex(error?.message ?? '', /\/nope\/update_list answered 404/);
	t.regex(error?.hint ?? '', /mod_http_api/);
});

test.serial('a port with nothing listening is ERR_NODE_DOWN, retryable', async t => {
	const port = await findFreePort();
	const error = await t.throwsAsync(transport(getNode(), {url: `http://127.0.0.1:${port}/api`}).updateInfo(), {instanceOf: ReloaderError});
	t.is(error?.code, 'ERR_NODE_DOWN');
	t.true(error?.retryable);
	t.regex(error?.message ?? '', /ECONNREFUSED/);
});

// Runs last: it changes the node's api_permissions for good.
test.serial('under the stock rule: 403 without auth, 401 for a wrong password, 200 for an admin', async t => {
	const node = getNode();
	const passwords = await mkdtemp(join(tmpdir(), 'reloader-http-pw-'));
	t.teardown(() => rm(passwords, {recursive: true, force: true}));
	const right = join(passwords, 'right');
	const wrong = join(passwords, 'wrong');
	await writeFile(right, `${ADMIN_PASSWORD}\n`, {mode: 0o600});
	await writeFile(wrong, 'not-the-password\n', {mode: 0o600});

	const registered = await runCtl(node, 'register', 'admin', 'localhost', ADMIN_PASSWORD);
	t.is(registered.code, 0, registered.stdout + registered.stderr);
	await useStockApiPermissions(node);
	const anonymous = transport(node);
	await waitUntil(async () => anonymous.updateInfo().then(() => false, () => true), 'the reloaded config refuses anonymous callers');

	const forbidden = await t.throwsAsync(anonymous.updateInfo(), {instanceOf: ReloaderError});
	t.is(forbidden?.code, 'ERR_HTTP');
	t.regex(forbidden?.message ?? '', /answered 403/);
	t.regex(forbidden?.hint ?? '', /config\/ejabberd-http-api\.yml/);

	const rejected = await t.throwsAsync(transport(node, {user: 'admin@localhost', passwordFile: wrong}).updateInfo(), {instanceOf: ReloaderError});
	t.is(rejected?.code, 'ERR_HTTP');
	t.regex(rejected?.message ?? '', /answered 401/);
	t.regex(rejected?.hint ?? '', /http\.passwordFile/);
	t.false(`${rejected?.message} ${rejected?.hint}`.includes('not-the-password'));

	t.deepEqual((await transport(node, {user: 'admin@localhost', passwordFile: right}).updateInfo()).modules, []);
});

/** Debian's stock "admin access" rule: `acl: loopback` and `acl: admin` under one `allow:`. */
async function useStockApiPermissions(node: SandboxNode): Promise<void> {
	const file = join(node.configDir, 'ejabberd.yml');
	const config = parse(await readFile(file, 'utf8')) as Record<string, Record<string, unknown>>;
	config['acl'] = {...config['acl'], admin: {user: ['admin@localhost']}};
	config['api_permissions'] = {
		'console commands': {from: ['ejabberd_ctl'], who: 'all', what: '*'},
		'admin access': {who: {access: {allow: [{acl: 'loopback'}, {acl: 'admin'}]}}, what: ['*', '!stop', '!start']},
	};
	// Written in place: the file keeps the ejabberd user as its owner.
	await writeFile(file, stringify(config));
	const reloaded = await runCtl(node, 'reload_config');
	if (reloaded.code !== 0) {
		throw new Error(`ejabberdctl reload_config failed (${reloaded.code}): ${reloaded.stdout}${reloaded.stderr}`);
	}
}
