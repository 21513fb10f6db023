import {chmod, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {performance} from 'node:perf_hooks';
import test from 'ava';
import type {ExecutionContext} from 'ava';
import {DistClient, DistError} from '../../daemon/lib/erlang-dist/index.ts';
import type {DistClientOptions, DistEvent} from '../../daemon/lib/erlang-dist/index.ts';
import {atom, isAtom, isTuple} from '../../daemon/lib/erlang-term/index.ts';
import type {Tuple} from '../../daemon/lib/erlang-term/index.ts';
import type {SandboxNode} from '../../daemon/sandbox/sandbox-node.ts';
import {RELOADER_ALLOW_LIST, readCookie} from '../../daemon/transports/distribution/index.ts';
import {nodeCall, useSandboxNode, withSandboxNode} from '../support/ejabberd.ts';
import {haltNode, resumeNode} from '../support/node-faults.ts';
import {waitUntil} from '../support/wait.ts';

const sandbox = useSandboxNode(test);

const TEST_ALLOW = [
	...RELOADER_ALLOW_LIST,
	{module: 'erlang', function: 'node', arity: 0},
	{module: 'erlang', function: 'nodes', arity: 1},
	{module: 'timer', function: 'sleep', arity: 1},
];

function distClient(t: ExecutionContext, node: SandboxNode, options: Partial<DistClientOptions> = {}): {client: DistClient; events: DistEvent[]} {
	const events: DistEvent[] = [];
	const client = new DistClient({
		node: node.node, cookie: cookieReader(node.cookieFile), cookieSource: `the cookie in ${node.cookieFile}`, connectTimeoutMs: 10_000, callTimeoutMs: 10_000, allow: TEST_ALLOW,
		onEvent: event => events.push(event), ...options,
	});
	t.teardown(() => client.close());
	return {client, events};
}

function cookieReader(file: string): () => Promise<string> {
	return async () => (await readCookie(file)).cookie;
}


test.serial('connects as a hidden node: node() answers, nodes(hidden) lists us, nodes() does not', async t => {
	const node = sandbox();
	const {client, events} = distClient(t, node);
	const start = performance.now();
	await client.connect();
	t.log(`connect: ${(performance.now() - start).toFixed(1)} ms`);
	t.deepEqual(await client.call('erlang', 'node', []), atom(node.node));
	t.true(client.connected);
	t.like(events[0], {type: 'connected', node: node.node});
	const name = client.localName ?? '';
	t.regex(name, /^reloader_[0-9a-f]{12}@localhost$/);
	const hidden = await nodeCall(node, 'erlang:nodes(hidden)');
	t.log(`nodes(hidden): ${hidden}`);
	t.true(hidden.includes(name), hidden);
	t.false((await nodeCall(node, 'erlang:nodes()')).includes(name));
	t.is(typeof client.peerCreation, 'number');
});

test.serial('ejabberd_update:update_info() decodes into a 6-tuple starting with ok', async t => {
	const {client} = distClient(t, sandbox());
	const info = await client.call('ejabberd_update', 'update_info', []);
	t.true(isTuple(info, 6), String(info));
	t.true(isAtom((info as Tuple).elements[0], 'ok'));
	t.is((info as Tuple).elements[1], sandbox().ebinDir);
});

test.serial('an exception comes back as {badrpc, {\'EXIT\', Reason}}', async t => {
	const {client} = distClient(t, sandbox());
	const result = await client.call('erlang', 'get_module_info', [atom('no_such_module_here'), atom('md5')]);
	t.true(isTuple(result, 2) && isAtom(result.elements[0], 'badrpc') && isTuple(result.elements[1], 2) && isAtom(result.elements[1].elements[0], 'EXIT'));
});

test.serial('many concurrent calls each get their own answer', async t => {
	const {client} = distClient(t, sandbox());
	const answers = await Promise.all(Array.from({length: 300}, (_, index) => client.call('filename', 'dirname', [`/calls/${index}/file`])));
	t.deepEqual(answers, Array.from({length: 300}, (_, index) => `/calls/${index}`));
});

test.serial('a call that times out; its late reply does not confuse the calls after it', async t => {
	const {client} = distClient(t, sandbox());
	await client.connect();
	const error = await t.throwsAsync(client.call('timer', 'sleep', [500], {timeoutMs: 50}), {instanceOf: DistError});
	t.like(error, {code: 'ERR_DIST_TIMEOUT', retryable: true});
	t.is(error?.message, `timer:sleep/1 on ${sandbox().node} did not answer within 50 ms`);
	// Keep calling until well past the moment the late `ok` arrives: every answer must be its own.
	const outlast = client.call('timer', 'sleep', [800]);
	let done = false;
	void outlast.finally(() => (done = true));
	let checked = 0;
	while (!done) {
		t.is(await client.call('filename', 'dirname', [`/late/${checked}/x`]), `/late/${checked}`);
		checked++;
	}
	t.deepEqual(await outlast, atom('ok'));
	t.true(client.connected);
	t.log(`${checked} calls answered correctly around the late reply`);
});

test.serial('a forbidden function throws ERR_DIST_FORBIDDEN and nothing is sent', async t => {
	const {client} = distClient(t, sandbox());
	await t.throwsAsync(client.call('os', 'cmd', ['id']), {code: 'ERR_DIST_FORBIDDEN'});
	await t.throwsAsync(client.call('erlang', 'halt', []), {code: 'ERR_DIST_FORBIDDEN'});
	// Refused before even connecting.
	t.false(client.connected);
	t.is(client.peerCreation, undefined);
});

test.serial('a wrong cookie: ERR_DIST_HANDSHAKE, not retryable, naming node and file, never a cookie', async t => {
	const node = sandbox();
	const dir = await mkdtemp(join(tmpdir(), 'reloader-wrong-cookie-'));
	t.teardown(() => rm(dir, {recursive: true, force: true}));
	const wrongFile = join(dir, 'cookie');
	const wrongCookie = 'NOTTHENODESCOOKIE';
	await writeFile(wrongFile, wrongCookie);
	await chmod(wrongFile, 0o400);
	const realCookie = (await readFile(node.cookieFile, 'latin1')).trim();
	const {client} = distClient(t, node, {cookie: cookieReader(wrongFile), cookieSource: `the cookie in ${wrongFile}`});
	const error = await t.throwsAsync(client.connect(), {instanceOf: DistError});
	t.like(error, {code: 'ERR_DIST_HANDSHAKE', retryable: false});
	t.is(error?.message, `${node.node} closed the connection during the handshake: the cookie in ${wrongFile} does not match the node's`);
	const seen: string[] = [];
	for (let current: unknown = error; current instanceof Error; current = current.cause) {
		seen.push(current.message, (current as DistError).hint ?? '', current.stack ?? '');
	}
	for (const secret of [realCookie, wrongCookie]) {
		t.false(seen.join('\n').includes(secret));
	}
});

test.serial('a node name not registered with EPMD: ERR_DIST_NODE_DOWN, retryable', async t => {
	const {client} = distClient(t, sandbox(), {node: 'reloader_nobody@localhost'});
	const error = await t.throwsAsync(client.call('erlang', 'node', []), {instanceOf: DistError});
	t.like(error, {code: 'ERR_DIST_NODE_DOWN', retryable: true});
	t.regex(error?.message ?? '', /reloader_nobody@localhost is not registered with EPMD on localhost/);
});

test('halting the node fails a pending call at once; after resume the next call reconnects to a new incarnation', async t => {
	const node = await withSandboxNode(t);
	const {client, events} = distClient(t, node, {callTimeoutMs: 120_000});
	await client.connect();
	const before = client.peerCreation;
	const pending = client.call('timer', 'sleep', [100_000]);
	const halted = haltNode(node);
	const start = performance.now();
	const error = await t.throwsAsync(pending, {instanceOf: DistError});
	t.log(`pending call failed ${(performance.now() - start).toFixed(0)} ms after halt() began`);
	t.like(error, {code: 'ERR_DIST_NODE_DOWN', retryable: true});
	t.true(error?.message.includes(node.node));
	await waitUntil(() => events.some(event => event.type === 'disconnected'), 'the client reported the disconnect', 30_000);
	t.false(client.connected);
	await halted;
	await t.throwsAsync(client.call('erlang', 'node', []), {code: 'ERR_DIST_NODE_DOWN'});
	await resumeNode(node);
	t.deepEqual(await client.call('erlang', 'node', []), atom(node.node));
	t.true(client.connected);
	t.not(client.peerCreation, before);
	t.is(events.filter(event => event.type === 'connected').length, 2);
});
