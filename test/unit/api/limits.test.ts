import {connect, type Socket} from 'node:net';
import test from 'ava';
import {waitUntil} from '../../support/wait.ts';
import {batchRecord, serve} from './_fake-daemon.ts';
import {rawRequest} from './_http.ts';
import {SseClient} from './_sse-client.ts';

test('past api.maxEventStreams, GET /events is 503 with Retry-After and closed; /healthz still answers', async t => {
	const {url, bus} = await serve(t, {access: {address: {host: '127.0.0.1', port: 0}, token: undefined, maxConnections: 16, maxEventStreams: 3}});
	const streams = await Promise.all(Array.from({length: 3}, async () => SseClient.open(`${url}/events`)));
	t.teardown(async () => Promise.all(streams.map(async stream => stream.close())));
	t.deepEqual(streams.map(stream => stream.response.status), [200, 200, 200]);
	const refused = await rawRequest(url, '/events');
	t.is(refused.status, 503);
	t.is(refused.headers['retry-after'], '5');
	t.is(refused.headers.connection, 'close');
	t.is(refused.json.error?.code, 'ERR_API_BUSY');
	t.regex(refused.json.error?.message ?? '', /at most 3 event streams.*api\.maxEventStreams/);
	t.is((await rawRequest(url, '/healthz')).status, 200);
	t.is(bus.size, 4, 'the refused stream never subscribed');
	// A slot frees when a stream goes away.
	await streams[0]?.close();
	await waitUntil(() => bus.size === 3, 'the closed stream unsubscribed');
	const again = await SseClient.open(`${url}/events`);
	t.teardown(async () => again.close());
	t.is(again.response.status, 200);
});

test('past api.maxConnections, a request is answered 503 ERR_API_BUSY with Retry-After, and the connection closed', async t => {
	const {url} = await serve(t, {access: {address: {host: '127.0.0.1', port: 0}, token: undefined, maxConnections: 4, maxEventStreams: 1}});
	const {port} = new URL(url);
	// Four idle connections take every slot.
	const idle = await Promise.all(Array.from({length: 4}, async () => open(Number(port))));
	t.teardown(() => {
		for (const socket of idle) {
			socket.destroy();
		}
	});
	for (const path of ['/update-modules', '/events', '/no-such-path']) {
		const refused = await rawRequest(url, path);
		t.is(refused.status, 503, path);
		t.is(refused.headers['retry-after'], '2');
		t.is(refused.headers.connection, 'close');
		t.is(refused.json.error?.code, 'ERR_API_BUSY');
		t.regex(refused.json.error?.message ?? '', /at most 4 connections.*api\.maxConnections/);
	}
	idle[0]?.destroy();
	t.is(await waitForStatus(url, '/update-modules', 200), 200);
});

test('past api.maxConnections, the probes (GET /healthz, GET /status) are still answered, and their connection closed', async t => {
	const {url, daemon} = await serve(t, {access: {address: {host: '127.0.0.1', port: 0}, token: undefined, maxConnections: 4, maxEventStreams: 1}});
	const {port} = new URL(url);
	const idle = await Promise.all(Array.from({length: 4}, async () => open(Number(port))));
	t.teardown(() => {
		for (const socket of idle) {
			socket.destroy();
		}
	});
	const health = await rawRequest(url, '/healthz');
	t.is(health.status, 200);
	t.is(health.headers.connection, 'close', 'a probe past the limit frees its descriptor');
	t.like(health.json, {ok: true});
	const status = await rawRequest(url, '/status');
	t.is(status.status, 200);
	t.is(status.headers.connection, 'close');
	// Only GET is a probe.
	t.is((await rawRequest(url, '/healthz', {method: 'POST'})).json.error?.code, 'ERR_API_BUSY');
	// A node down is told apart from the API's own 503 by its code.
	daemon.connected = false;
	const down = await rawRequest(url, '/healthz');
	t.is(down.status, 503);
	t.like(down.json, {ok: false, code: 'ERR_NODE_DOWN'});
});

test('a flood of connections past twice the limit is cut off, not held', async t => {
	const {url} = await serve(t, {access: {address: {host: '127.0.0.1', port: 0}, token: undefined, maxConnections: 4, maxEventStreams: 1}});
	const port = Number(new URL(url).port);
	const sockets = await Promise.all(Array.from({length: 40}, async () => open(port)));
	t.teardown(() => {
		for (const socket of sockets) {
			socket.destroy();
		}
	});
	// Those past 2 × 4 are closed by the server at once; the rest stay until they send a request or time out.
	await waitUntil(() => sockets.filter(socket => socket.closed).length >= 32, 'the server closed those past twice its limit');
	t.true(sockets.filter(socket => !socket.closed).length <= 8, 'at most 4 served and 4 being refused stay open');
});

test('100 concurrent identical requests share at most two batches, each answered with its batch', async t => {
	const {url, daemon} = await serve(t);
	let open!: () => void;
	const gate = new Promise<void>(resolve => {
		open = resolve;
	});
	let batch = 0;
	daemon.next = async () => {
		batch += 1;
		const id = batch;
		await gate;
		return batchRecord({id});
	};
	const json = {'Content-Type': 'application/json'};
	const first = fetch(`${url}/update-modules/all`);
	const firstNamed = fetch(`${url}/update-modules`, {method: 'POST', headers: json, body: '["mod_a", "mod_b"]'});
	await waitUntil(() => daemon.calls.length === 2, 'the first two batches started');
	const rest = Array.from({length: 99}, async (_, index) => index % 2 === 0
		? fetch(`${url}/update-modules/all`)
		: fetch(`${url}/update-modules/all`, {method: 'POST', headers: json}));
	// The same module set, however it is spelt.
	const restNamed = [
		...Array.from({length: 10}, async () => fetch(`${url}/update-modules`, {method: 'POST', headers: json, body: '["mod_b", "mod_a", "mod_a"]'})),
		fetch(`${url}/update-modules`, {method: 'POST', headers: json, body: '{"modules": ["mod_a", "mod_b"]}'}),
	];
	const other = fetch(`${url}/update-modules`, {method: 'POST', headers: json, body: '["mod_a"]'});
	await waitUntil(() => daemon.calls.length === 3, 'another module set started beside them');
	open();
	const batchesOf = async (responses: Promise<Response>[]) => Promise.all(responses.map(async response => {
		const answer = await response;
		t.is(answer.status, 200);
		return (await answer.json() as {batch: number}).batch;
	}));
	const [firstBatch, firstNamedBatch] = await batchesOf([first, firstNamed]);
	const restBatches = await batchesOf(rest);
	const restNamedBatches = await batchesOf(restNamed);
	await other;
	t.is(new Set(restBatches).size, 1, 'every later /update-modules/all got the same batch');
	t.not(restBatches[0], firstBatch);
	t.is(new Set(restNamedBatches).size, 1);
	t.not(restNamedBatches[0], firstNamedBatch);
	t.is(daemon.calls.filter(call => call.method === 'reconcile').length, 2);
	t.deepEqual(daemon.calls.filter(call => call.method === 'update').map(call => call.names), [['mod_a', 'mod_b'], ['mod_a'], ['mod_a', 'mod_b']]);
});

function open(port: number): Promise<Socket> {
	return new Promise((resolve, reject) => {
		const socket = connect(port, '127.0.0.1', () => resolve(socket));
		socket.on('error', reject);
		// Read (and drop) whatever comes, so that the server's close is seen.
		socket.resume();
	});
}

async function waitForStatus(url: string, path: string, status: number): Promise<number> {
	let last = 0;
	await waitUntil(async () => {
		last = (await rawRequest(url, path)).status;
		return last === status;
	}, `${path} answers ${status}`);
	return last;
}

test('requests that joined a waiting batch get 503 if the node went down before it started, and nothing is queued', async t => {
	const {url, daemon} = await serve(t);
	let open!: () => void;
	const gate = new Promise<void>(resolve => {
		open = resolve;
	});
	daemon.next = async () => {
		await gate;
		return batchRecord();
	};
	// Each update request looks at the daemon's status once when it arrives.
	let looked = 0;
	const status = daemon.status.bind(daemon);
	daemon.status = () => {
		looked += 1;
		return status();
	};
	const first = fetch(`${url}/update-modules/all`);
	await waitUntil(() => daemon.calls.length === 1, 'the first batch started');
	const before = looked;
	const joined = Array.from({length: 5}, async () => fetch(`${url}/update-modules/all`));
	await waitUntil(() => looked === before + 5, 'the five requests arrived and joined');
	daemon.connected = false;
	open();
	t.is((await first).status, 200);
	const statuses = await Promise.all(joined.map(async response => (await response).status));
	t.deepEqual(statuses, [503, 503, 503, 503, 503]);
	t.is(daemon.calls.length, 1);
});
