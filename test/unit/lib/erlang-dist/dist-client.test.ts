import test from 'ava';
import type {ExecutionContext} from 'ava';
import {DistClient, DistError} from '../../../../daemon/lib/erlang-dist/index.ts';
import type {DistClientOptions, DistEvent} from '../../../../daemon/lib/erlang-dist/index.ts';
import {atom, tuple} from '../../../../daemon/lib/erlang-term/index.ts';
import {waitUntil} from '../../../support/wait.ts';
import {causeChain} from './_errors.ts';
import {packet, startFakeNode} from './_fake-node.ts';
import type {FakeNode, FakeNodeOptions} from './_fake-node.ts';

const NODE = 'fake@127.0.0.1';
const COOKIE = 'FAKECOOKIEVALUE';
const ALLOW = [{module: 'erlang', function: 'node', arity: 0}, {module: 'timer', function: 'sleep', arity: 1}];

async function setup(t: ExecutionContext, node: Partial<FakeNodeOptions> = {}, client: Partial<DistClientOptions> = {}) {
	const fake = await startFakeNode(t, {name: NODE, cookie: COOKIE, rex: (_module, fn) => (fn === 'node' ? atom(NODE) : undefined), ...node});
	const events: DistEvent[] = [];
	const distClient = new DistClient({
		node: NODE, cookie: COOKIE, cookieSource: 'the cookie in /etc/test-cookie', port: fake.port, connectTimeoutMs: 5000, callTimeoutMs: 5000,
		allow: ALLOW, onEvent: event => events.push(event), ...client,
	});
	t.teardown(() => distClient.close());
	return {fake, client: distClient, events};
}

/** The fake node's first connection, which the test has made. */
function first(fake: FakeNode): FakeNode['connections'][number] {
	const connection = fake.connections[0];
	if (connection === undefined) {
		throw new Error('the fake node has no connection yet');
	}
	return connection;
}

test('connect, call, events; the client is hidden and uses a fresh name on the node\'s host', async t => {
	const {fake, client, events} = await setup(t);
	t.false(client.connected);
	t.deepEqual(await client.call('erlang', 'node', []), atom(NODE));
	t.true(client.connected);
	t.is(client.peerCreation, 1000);
	t.regex(fake.connections[0]?.clientName ?? '', /^reloader_[0-9a-f]{12}@127\.0\.0\.1$/);
	t.like(events[0], {type: 'connected', node: NODE, creation: 1000});
});

test('concurrent connects and calls share one attempt', async t => {
	const {fake, client} = await setup(t);
	await Promise.all([client.connect(), client.connect(), client.call('erlang', 'node', []), client.call('erlang', 'node', [])]);
	await client.connect();
	t.is(fake.connections.length, 1);
});

test('the node\'s ticks are answered', async t => {
	const {fake, client} = await setup(t);
	await client.connect();
	t.is(first(fake).ticks, 0);
	fake.sendRaw(Buffer.alloc(8));
	await waitUntil(() => first(fake).ticks === 2, 'the client answered both of the node\'s ticks');
	t.true(client.connected);
});

test('our own ticks go out on the (injected) interval and keep a connection up while the node answers', async t => {
	// Long enough that a loaded machine's scheduling delay never looks like four silent intervals.
	const {fake, client} = await setup(t, {echoTicks: true}, {tickIntervalMs: 1000});
	await client.connect();
	await waitUntil(() => first(fake).ticks >= 3, 'three of our ticks reached the node');
	t.true(client.connected);
});

test('a node silent for four tick intervals is given up: ERR_DIST_NODE_DOWN, disconnected', async t => {
	const {client, events} = await setup(t, {}, {tickIntervalMs: 20});
	await client.connect();
	await waitUntil(() => !client.connected, 'the client gave the silent node up');
	t.like(events.at(-1), {type: 'disconnected', node: NODE});
	t.regex((events.at(-1) as {reason?: string}).reason ?? '', /sent nothing for \d+ ms, not even a tick/);
});

test('a message that does not decode is reported and dropped; the connection stays', async t => {
	const {fake, client, events} = await setup(t);
	await client.connect();
	fake.sendRaw(Buffer.from([0, 0, 0, 3, 112, 131, 255]));
	await waitUntil(() => events.some(event => event.type === 'warning'), 'a warning about the message');
	t.regex((events.find(event => event.type === 'warning') as {message: string}).message, /Dropped a message from fake@127\.0\.0\.1/);
	t.deepEqual(await client.call('erlang', 'node', []), atom(NODE));
	t.true(client.connected);
});

test('broken framing (a 4 GiB length) closes the connection with ERR_DIST_LIMIT, failing pending calls', async t => {
	const {fake, client, events} = await setup(t);
	await client.connect();
	const pending = client.call('timer', 'sleep', [1]);
	await waitUntil(() => first(fake).messages.length === 1, 'the call reached the node');
	fake.sendRaw(Buffer.from([0xff, 0xff, 0xff, 0xff]));
	await t.throwsAsync(pending, {code: 'ERR_DIST_LIMIT'});
	t.false(client.connected);
	t.like(events.at(-1), {type: 'disconnected', node: NODE});
});

test('the node closing fails pending calls with ERR_DIST_NODE_DOWN at once; the next call reconnects', async t => {
	const {fake, client, events} = await setup(t);
	await client.connect();
	const pending = client.call('timer', 'sleep', [10_000]);
	await waitUntil(() => first(fake).messages.length === 1, 'the call reached the node');
	first(fake).socket.destroy();
	const error = await t.throwsAsync(pending, {instanceOf: DistError});
	t.like(error, {code: 'ERR_DIST_NODE_DOWN', retryable: true});
	t.regex(error?.message ?? '', /fake@127\.0\.0\.1/);
	t.false(client.connected);
	t.like(events.at(-1), {type: 'disconnected', node: NODE});
	t.deepEqual(await client.call('erlang', 'node', []), atom(NODE));
	t.is(fake.connections.length, 2);
	t.is(client.peerCreation, 1001);
});

test('a wrong cookie: ERR_DIST_HANDSHAKE, not retryable, naming node and file, never either cookie', async t => {
	const {client} = await setup(t, {}, {cookie: 'THEWRONGONE'});
	const error = await t.throwsAsync(client.connect(), {instanceOf: DistError});
	t.like(error, {code: 'ERR_DIST_HANDSHAKE', retryable: false});
	t.is(error?.message, 'fake@127.0.0.1 closed the connection during the handshake: the cookie in /etc/test-cookie does not match the node\'s');
	for (const secret of [COOKIE, 'THEWRONGONE']) {
		t.false(causeChain(error).includes(secret));
	}
});

test('an ack that does not prove the cookie: the connection is refused', async t => {
	const {client} = await setup(t, {badAck: true});
	await t.throwsAsync(client.connect(), {code: 'ERR_DIST_HANDSHAKE', message: /does not match the cookie in/});
	t.false(client.connected);
});

test('a refusing status is an error saying what it means', async t => {
	const {client} = await setup(t, {status: 'not_allowed'});
	await t.throwsAsync(client.connect(), {code: 'ERR_DIST_HANDSHAKE', message: /with status "not_allowed"/});
});

test('connectTimeoutMs bounds the whole connect: ERR_DIST_TIMEOUT, retryable', async t => {
	const {client} = await setup(t, {answer: false}, {connectTimeoutMs: 100});
	const error = await t.throwsAsync(client.connect(), {instanceOf: DistError});
	t.like(error, {code: 'ERR_DIST_TIMEOUT', retryable: true});
	t.regex(error?.message ?? '', /Connecting to fake@127\.0\.0\.1 took longer than 100 ms \(stuck connecting to 127\.0\.0\.1:\d+ and in the handshake\)/);
});

test('a forbidden function is refused before anything is sent, or even connected', async t => {
	const {fake, client} = await setup(t);
	await t.throwsAsync(client.call('os', 'cmd', ['rm -rf /']), {code: 'ERR_DIST_FORBIDDEN'});
	t.is(fake.connections.length, 0);
	await client.connect();
	await t.throwsAsync(client.call('erlang', 'node', [1]), {code: 'ERR_DIST_FORBIDDEN'});
	t.is(first(fake).messages.length, 0);
});

test('a per-call timeout, then a late reply that confuses nothing', async t => {
	// Both replies wait for the gate: the late one reaches the client while the next call is pending.
	let openGate: (() => void) | undefined;
	const gate = new Promise<void>(resolve => (openGate = resolve));
	const afterGate = (term: ReturnType<typeof atom>, ticks: number) => gate.then(async () => {
		for (let tick = 0; tick < ticks; tick++) {
			await new Promise(resolve => setImmediate(resolve));
		}
		return term;
	});
	const {fake, client} = await setup(t, {rex: (_module, fn) => (fn === 'sleep' ? afterGate(atom('late'), 0) : afterGate(atom(NODE), 2))});
	await client.connect();
	await t.throwsAsync(client.call('timer', 'sleep', [500], {timeoutMs: 20}), {code: 'ERR_DIST_TIMEOUT', message: /^timer:sleep\/1 on fake@127\.0\.0\.1 did not answer within 20 ms$/});
	const next = client.call('erlang', 'node', []);
	await waitUntil(() => first(fake).messages.length === 2, 'the next call reached the node');
	openGate?.();
	t.deepEqual(await next, atom(NODE));
	t.is(first(fake).replies, 2);
});

test('a cookie reader is called on every connect; what it throws is passed on unchanged', async t => {
	let reads = 0;
	const {fake, client} = await setup(t, {}, {cookie: async () => {
		reads++;
		return COOKIE;
	}});
	await client.connect();
	first(fake).socket.destroy();
	await waitUntil(() => !client.connected, 'the client saw the connection close');
	await client.connect();
	t.is(reads, 2);
	const failure = new Error('unreadable');
	const {client: failing} = await setup(t, {}, {cookie: () => Promise.reject(failure)});
	t.is(await t.throwsAsync(failing.connect()), failure);
});

test('the default cookieSource names no file', async t => {
	const {client} = await setup(t, {}, {cookie: 'THEWRONGONE', cookieSource: undefined});
	await t.throwsAsync(client.connect(), {code: 'ERR_DIST_HANDSHAKE', message: /: the cookie does not match the node's$/});
});

test('close() is idempotent, fails pending calls with ERR_DIST_NODE_DOWN, and refuses later calls', async t => {
	const {client, events} = await setup(t);
	await client.connect();
	const pending = client.call('timer', 'sleep', [10_000]);
	const first = client.close();
	t.is(client.close(), first);
	await first;
	await t.throwsAsync(pending, {code: 'ERR_DIST_NODE_DOWN'});
	await t.throwsAsync(client.call('erlang', 'node', []), {code: 'ERR_DIST_NODE_DOWN', message: /is closed/});
	t.false(client.connected);
	t.like(events.at(-1), {type: 'disconnected'});
});

test('a caller\'s abort while connecting rejects that caller only', async t => {
	const {client} = await setup(t, {answer: false}, {connectTimeoutMs: 60_000});
	const controller = new AbortController();
	const mine = client.connect(controller.signal);
	const reason = new Error('mine only');
	controller.abort(reason);
	t.is(await t.throwsAsync(mine), reason);
	await client.close();
});

test('invalid options are all reported at once', t => {
	const error = t.throws(() => new DistClient({node: 'nohost', cookie: '', port: 0, connectTimeoutMs: -1, callTimeoutMs: 1.5, allow: ALLOW}), {code: 'ERR_DIST_OPTIONS'});
	for (const key of ['node must look like', 'cookie must be', 'port', 'connectTimeoutMs', 'callTimeoutMs']) {
		t.true(error?.message.includes(key), key);
	}
});

test('a reply for another pid is not ours: ignored', async t => {
	const {fake, client} = await setup(t);
	await client.connect();
	fake.sendRaw(packet(tuple(2, atom(''), atom('nobody')), atom('x')));
	t.deepEqual(await client.call('erlang', 'node', []), atom(NODE));
});
