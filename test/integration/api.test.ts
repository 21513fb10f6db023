import {chmod, mkdir, mkdtemp, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import test from 'ava';
import {resolveApiAccess} from '../../daemon/api/api-access.ts';
import {startApiServer, type ApiServer} from '../../daemon/api/api-server.ts';
import {resolveConfig} from '../../daemon/config/resolve-config.ts';
import type {Daemon} from '../../daemon/daemon.ts';
import {ReloaderError} from '../../daemon/errors.ts';
import {atom} from '../../daemon/lib/erlang-term/index.ts';
import {openDaemon} from '../support/open-daemon.ts';
import {RecordBus} from '../../daemon/record-bus.ts';
import {findFreePort} from '../../daemon/sandbox/free-port.ts';
import {DistClient} from '../../daemon/lib/erlang-dist/index.ts';
import {RELOADER_ALLOW_LIST, readCookie} from '../../daemon/transports/distribution/index.ts';
import {nodeCall, useSandboxNode} from '../support/ejabberd.ts';
import {compileGenerated, installBeam} from '../support/fixtures.ts';
import {RecordCollector, batchWith} from '../support/record-collector.ts';
import {SseClient} from '../unit/api/_sse-client.ts';

const TOKEN = 'integration-token-0123456789abcdef';

const getNode = useSandboxNode(test);
const records = new RecordCollector();
let daemon: Daemon | undefined;
let api: ApiServer | undefined;
/** One long-lived connection for reading the atom count: each new connection creates atoms of its own. */
let atoms: DistClient | undefined;
let buildDir = '';

const url = (path: string) => `${api?.url ?? ''}${path}`;
const post = (path: string, body: string) => fetch(url(path), {method: 'POST', body, headers: {'Content-Type': 'application/json'}});
const versionIn = (module: string) => nodeCall(getNode(), `${module}:version()`);
const atomCount = async () => Number(await atoms?.call('erlang', 'system_info', [atom('atom_count')]));

async function build(module: string, version: number): Promise<string> {
	const dir = join(buildDir, `${module}-v${version}`);
	await mkdir(dir, {mode: 0o755});
	return compileGenerated(module, version, dir);
}

/**
 * A loaded module whose beam on disk is newer than its code in the node,
 * without a write the watcher would turn into a batch of its own: v2 is
 * installed while the module is not loaded (a notLoaded batch), then v1's
 * code is loaded under the ebin's file name.
 */
async function makeStale(module: string): Promise<void> {
	const node = getNode();
	const [v1, v2] = await Promise.all([build(module, 1), build(module, 2)]);
	const since = records.mark();
	await installBeam(v2, node.ebinDir);
	await records.waitFor(batchWith(module), {since, what: `the notLoaded batch of ${module}`});
	await nodeCall(node, `{ok, B} = file:read_file("${v1}"), code:load_binary(${module}, "${join(node.ebinDir, `${module}.beam`)}", B)`);
}

test.serial.before(async () => {
	const node = getNode();
	buildDir = await mkdtemp(join(tmpdir(), 'reloader-api-'));
	// The node (as the ejabberd user) reads v1 beams from here.
	await chmod(buildDir, 0o755);
	const config = resolveConfig({
		transport: 'dist', node: node.node, cookieFile: node.cookieFile, watch: [node.ebinDir],
		debounceMs: 200, maxWaitMs: 3000, api: {listen: `127.0.0.1:${await findFreePort()}`},
	});
	const bus = new RecordBus();
	bus.subscribe(records.report);
	daemon = await openDaemon(config, bus.publish);
	await daemon.start();
	const apiAccess = await resolveApiAccess(config.api, () => undefined);
	if (apiAccess === undefined) {
		throw new Error('the API is enabled in this config');
	}
	api = await startApiServer({access: apiAccess, daemon, records: bus, report: bus.publish, version: 'test'});
	atoms = new DistClient({node: node.node, cookie: async () => (await readCookie(node.cookieFile)).cookie, allow: RELOADER_ALLOW_LIST, connectTimeoutMs: 10_000, callTimeoutMs: 10_000});
	await atoms.connect();
});

test.after.always(async () => {
	await api?.close();
	await daemon?.close('tests done');
	await atoms?.close();
	if (buildDir !== '') {
		await rm(buildDir, {recursive: true, force: true});
	}
});

test.serial('GET /healthz is 200 once the node is initialised', async t => {
	const response = await fetch(url('/healthz'));
	t.is(response.status, 200);
	t.deepEqual(await response.json(), {ok: true});
});

test.serial('GET /update-modules lists a modified module and changes nothing', async t => {
	await makeStale('api_info');
	const response = await fetch(url('/update-modules'));
	t.is(response.status, 200);
	const answer = await response.json() as {node: string; transport: string; modules: string[]};
	t.is(answer.node, getNode().node);
	t.is(answer.transport, 'dist');
	t.true(answer.modules.includes('api_info'), JSON.stringify(answer));
	t.is(await versionIn('api_info'), '1');
	// Leave nothing modified for the tests after this one.
	t.is((await post('/update-modules', '["api_info"]')).status, 200);
});

test.serial('GET /update-modules/all updates a modified, loaded module; its new code answers', async t => {
	await makeStale('api_all');
	t.is(await versionIn('api_all'), '1');
	const response = await fetch(url('/update-modules/all'));
	t.is(response.status, 200);
	t.is(response.headers.get('content-type'), 'application/json; charset=utf-8');
	const answer = await response.json() as Record<string, unknown>;
	t.like(answer, {ok: true, node: getNode().node, transport: 'dist', updated: ['api_all'], failed: [], verifiedBy: 'content'});
	t.is(typeof answer.batch, 'number');
	t.is(await versionIn('api_all'), '2');
});

test.serial('POST /update-modules with a list updates exactly those modules', async t => {
	await makeStale('api_post_a');
	await makeStale('api_post_b');
	const response = await post('/update-modules', '["api_post_a", "api_post_b"]');
	t.is(response.status, 200);
	const answer = await response.json() as {updated: string[]; ok: boolean};
	t.true(answer.ok);
	t.deepEqual([...answer.updated].sort(), ['api_post_a', 'api_post_b']);
	t.is(await versionIn('api_post_a'), '2');
	t.is(await versionIn('api_post_b'), '2');
});

test.serial('POST /update-modules with {modules} updates them', async t => {
	await makeStale('api_post_obj');
	const response = await post('/update-modules', '{"modules": ["api_post_obj"]}');
	t.is(response.status, 200);
	t.like(await response.json(), {ok: true, updated: ['api_post_obj']});
	t.is(await versionIn('api_post_obj'), '2');
});

test.serial('GET /status shows the node, the queue and the last batch', async t => {
	const response = await fetch(url('/status'));
	t.is(response.status, 200);
	const status = await response.json() as Record<string, unknown> & {lastBatch: {event: string; updated: string[]}};
	t.like(status, {version: 'test', node: getNode().node, transport: 'dist', connected: true, directories: [getNode().ebinDir]});
	t.deepEqual(Object.keys(status.queue as object).sort(), ['oldestUnsettledMs', 'pendingChanges', 'queuedBatches', 'runningBatches', 'stuckBeams', 'unsettledBeams']);
	t.is(status.lastBatch.event, 'batch');
	t.deepEqual(status.lastBatch.updated, ['api_post_obj']);
	t.is(typeof status.uptimeSeconds, 'number');
});

test.serial('bad input is refused before it reaches the node: no new atoms', async t => {
	const before = await atomCount();
	const cases = [
		['["mod_a"', 400, 'ERR_API_JSON'],
		['{"names": ["mod_a"]}', 400, 'ERR_API_BODY_SHAPE'],
		['"api_all"', 400, 'ERR_API_BODY_SHAPE'],
		['["../x"]', 400, 'ERR_MODULE_NAME'],
		['["Mod Name"]', 400, 'ERR_MODULE_NAME'],
		['{"modules": ["api_all", "x;halt()"]}', 400, 'ERR_MODULE_NAME'],
		['["no_such_mod_x1"]', 404, 'ERR_MODULE_UNKNOWN'],
		[JSON.stringify(Array.from({length: 7000}, (_, index) => `no_such_mod_${index}`)), 413, 'ERR_API_BODY_TOO_LARGE'],
	] as const;
	for (const [body, status, code] of cases) {
		const response = await post('/update-modules', body);
		t.is(response.status, status, body.slice(0, 60));
		const answer = await response.json() as {ok: boolean; error: {code: string; message: string; hint: string}};
		t.false(answer.ok);
		t.is(answer.error.code, code);
		t.truthy(answer.error.hint);
	}
	t.is(await atomCount(), before, 'the node created no atom');
	// The measure itself works: a name that does reach the node makes an atom.
	await atoms?.call('code', 'is_loaded', [atom(`api_fresh_${Date.now()}`)]);
	t.is(await atomCount(), before + 1);
});

test.serial('an unknown path is 404; a wrong method is 405 with Allow', async t => {
	const missing = await fetch(url('/update-modules/some'));
	t.is(missing.status, 404);
	t.like(await missing.json(), {ok: false, error: {code: 'ERR_API_NOT_FOUND'}});
	const wrong = await fetch(url('/status'), {method: 'POST', body: '{}'});
	t.is(wrong.status, 405);
	t.is(wrong.headers.get('allow'), 'GET');
	t.like(await wrong.json(), {ok: false, error: {code: 'ERR_API_METHOD'}});
});

test.serial('with a token configured, requests need it: 401 without or wrong, 200 with it', async t => {
	const config = resolveConfig({api: {listen: `127.0.0.1:${await findFreePort()}`, token: TOKEN}});
	const access = await resolveApiAccess(config.api, () => undefined);
	if (daemon === undefined || access === undefined) {
		throw new Error('no daemon or no API access');
	}
	const guarded = await startApiServer({access, daemon, records: new RecordBus(), version: 'test'});
	t.teardown(() => guarded.close());
	for (const headers of [{}, {Authorization: 'Bearer not-the-token-at-all-0000'}] as Record<string, string>[]) {
		const response = await fetch(`${guarded.url}/status`, {headers});
		t.is(response.status, 401);
		t.regex(response.headers.get('www-authenticate') ?? '', /^Bearer/);
		const text = await response.text();
		t.false(text.includes(TOKEN));
	}
	const ok = await fetch(`${guarded.url}/status`, {headers: {Authorization: `Bearer ${TOKEN}`}});
	t.is(ok.status, 200);
	t.like(await ok.json(), {connected: true});
});

test.serial('serving on 0.0.0.0 without a token is refused, and nothing listens', async t => {
	const port = await findFreePort();
	const config = resolveConfig({api: {listen: `0.0.0.0:${port}`}});
	const error = await t.throwsAsync(resolveApiAccess(config.api, () => undefined), {instanceOf: ReloaderError});
	t.is(error?.code, 'ERR_CONFIG_INVALID');
	t.regex(error?.message ?? '', new RegExp(`0\\.0\\.0\\.0:${port} without a token`));
	if (daemon === undefined) {
		throw new Error('no daemon');
	}
	await t.throwsAsync(startApiServer({access: {address: {host: '0.0.0.0', port}, token: undefined}, daemon, records: new RecordBus(), version: 'test'}), {instanceOf: ReloaderError});
	await t.throwsAsync(fetch(`http://127.0.0.1:${port}/healthz`));
});

test.serial('an SSE client receives the batch event of a file change', async t => {
	const client = await SseClient.open(url('/events'));
	t.teardown(() => client.close());
	t.is(client.response.status, 200);
	await client.waitFor(c => c.text.startsWith('retry: 2000\n\n'), 'the retry line');
	await installBeam(await build('api_sse', 1), getNode().ebinDir);
	await client.waitFor(c => c.events().some(event => event.event === 'batch' && (event.data.notLoaded as string[]).includes('api_sse')), 'the batch of api_sse');
	const batch = client.events().find(event => event.event === 'batch');
	t.like(batch?.data, {event: 'batch', trigger: 'watch', notLoaded: ['api_sse']});
	t.true(Number.isInteger(batch?.id));
});
