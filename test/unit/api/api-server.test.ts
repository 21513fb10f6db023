import {request as httpRequest} from 'node:http';
import {createServer} from 'node:net';
import test from 'ava';
import {startApiServer} from '../../../daemon/api/api-server.ts';
import {ReloaderError} from '../../../daemon/errors.ts';
import type {DaemonRecord} from '../../../daemon/records.ts';
import {RecordBus} from '../../../daemon/record-bus.ts';
import {waitUntil} from '../../support/wait.ts';
import {batchRecord, fakeDaemon, serve, type ErrorAnswer} from './_fake-daemon.ts';

const post = (url: string, body: string, headers: Record<string, string> = {}) => fetch(url, {method: 'POST', body, headers: {'Content-Type': 'application/json', ...headers}});

test('GET and POST /update-modules/all reconcile and answer the batch', async t => {
	const {url, daemon} = await serve(t);
	for (const method of ['GET', 'POST']) {
		const response = await fetch(`${url}/update-modules/all`, {method, headers: method === 'POST' ? {'Content-Type': 'application/json'} : {}});
		t.is(response.status, 200);
		t.is(response.headers.get('content-type'), 'application/json; charset=utf-8');
		t.deepEqual(await response.json(), {
			ok: true, node: 'fake@localhost', transport: 'dist', batch: 7, listed: ['mod_a'], updated: ['mod_a'], unchanged: [], notLoaded: [], failed: [], deferred: [],
			unpurged: [], durations: {waitMs: 0, updateInfoMs: 1, updateMs: 2, verifyMs: 3, totalMs: 6}, verifiedBy: 'content',
		});
	}
	t.deepEqual(daemon.calls, [{method: 'reconcile'}, {method: 'reconcile'}]);
});

test('a batch with a failed module is 500, with the batch', async t => {
	const {url, daemon} = await serve(t);
	daemon.next = async () => batchRecord({ok: false, updated: [], failed: [{module: 'mod_a', reason: 'on_load failed'}]});
	const response = await fetch(`${url}/update-modules/all`);
	t.is(response.status, 500);
	t.like(await response.json(), {ok: false, batch: 7, failed: [{module: 'mod_a', reason: 'on_load failed'}]});
});

test('while the node is down, updates answer 503 at once and queue nothing', async t => {
	const {url, daemon} = await serve(t);
	daemon.connected = false;
	for (const [path, init] of [['/update-modules/all', {}], ['/update-modules', {}], ['/update-modules', {method: 'POST', body: '["mod_a"]', headers: {'Content-Type': 'application/json'}}]] as const) {
		const response = await fetch(`${url}${path}`, init);
		t.is(response.status, 503, path);
		t.is(response.headers.get('retry-after'), '5');
		const answer = await response.json() as ErrorAnswer;
		t.is(answer.error.code, 'ERR_NODE_DOWN');
		t.regex(answer.error.message, /fake@localhost is unreachable.*nothing was queued/);
		t.regex(answer.error.hint, /healthz/);
	}
	t.deepEqual(daemon.calls, []);
});

test('a node that goes away during the batch is 503; another daemon error is 500 with its code', async t => {
	const {url, daemon} = await serve(t);
	daemon.next = async () => {
		throw new ReloaderError('ERR_NODE_TIMEOUT', 'update_info on fake@localhost took longer than 60000 ms', {retryable: true});
	};
	const timeout = await fetch(`${url}/update-modules/all`);
	t.is(timeout.status, 503);
	t.like(await timeout.json(), {ok: false, error: {code: 'ERR_NODE_TIMEOUT', message: 'update_info on fake@localhost took longer than 60000 ms'}});
	daemon.next = async () => {
		throw new ReloaderError('ERR_NODE_COMMAND', 'ejabberdctl update failed', {hint: 'Check ejabberd.log.'});
	};
	const failed = await fetch(`${url}/update-modules/all`);
	t.is(failed.status, 500);
	t.deepEqual(await failed.json(), {ok: false, error: {code: 'ERR_NODE_COMMAND', message: 'ejabberdctl update failed', hint: 'Check ejabberd.log.'}});
});

test('an unexpected error is 500 ERR_API_INTERNAL, and reported', async t => {
	const reported: DaemonRecord[] = [];
	const {url, daemon} = await serve(t, {report: record => reported.push(record)});
	daemon.info = async () => {
		throw new TypeError('boom');
	};
	const response = await fetch(`${url}/update-modules`);
	t.is(response.status, 500);
	t.like(await response.json(), {ok: false, error: {code: 'ERR_API_INTERNAL'}});
	t.like(reported[0], {event: 'error', code: 'ERR_API_INTERNAL'});
});

test('POST /update-modules takes a list or {modules} and updates exactly those names', async t => {
	const {url, daemon} = await serve(t);
	t.is((await post(`${url}/update-modules`, '["mod_a","mod_b"]')).status, 200);
	t.is((await post(`${url}/update-modules`, '{"modules":["mod_b"]}')).status, 200);
	t.deepEqual(daemon.calls, [{method: 'update', names: ['mod_a', 'mod_b']}, {method: 'update', names: ['mod_b']}]);
});

test('POST /update-modules with "purge": "brutal" forces, and never joins a plain request for the same names', async t => {
	const {url, daemon} = await serve(t);
	let release: () => void = () => undefined;
	const blocked = new Promise<void>(resolve => {
		release = resolve;
	});
	daemon.next = async () => {
		await blocked;
		return batchRecord();
	};
	const plain = post(`${url}/update-modules`, '["mod_a"]');
	await waitUntil(() => daemon.calls.length >= 1, 'the daemon was asked for the plain update');
	const forced = post(`${url}/update-modules`, '{"modules": ["mod_a"], "purge": "brutal"}');
	await waitUntil(() => daemon.calls.length >= 2, 'the daemon was asked for the brutal update too');
	t.deepEqual(daemon.calls, [{method: 'update', names: ['mod_a']}, {method: 'update', names: ['mod_a'], purge: 'brutal'}]);
	release();
	t.is((await plain).status, 200);
	t.is((await forced).status, 200);
});

test('bad input is 400/404/413 and never reaches the daemon', async t => {
	const {url, daemon} = await serve(t);
	const cases = [
		['not json', 400, 'ERR_API_JSON'],
		['', 400, 'ERR_API_JSON'],
		['{"names":["mod_a"]}', 400, 'ERR_API_BODY_SHAPE'],
		['"mod_a"', 400, 'ERR_API_BODY_SHAPE'],
		['[]', 400, 'ERR_MODULE_NAME'],
		['["../x"]', 400, 'ERR_MODULE_NAME'],
		['["Mod Name"]', 400, 'ERR_MODULE_NAME'],
		['[42]', 400, 'ERR_MODULE_NAME'],
		['["no_such_mod_x1"]', 404, 'ERR_MODULE_UNKNOWN'],
		[JSON.stringify(Array.from({length: 10_000}, () => 'mod_a')), 413, 'ERR_API_BODY_TOO_LARGE'],
	] as const;
	for (const [body, status, code] of cases) {
		const response = await post(`${url}/update-modules`, body);
		t.is(response.status, status, body.slice(0, 40));
		const answer = await response.json() as ErrorAnswer;
		t.is(answer.error.code, code);
		t.truthy(answer.error.message);
		t.truthy(answer.error.hint);
	}
	t.deepEqual(daemon.calls, []);
});

test('a chunked body over 64 KiB is 413 and the connection is closed', async t => {
	const {api} = await serve(t);
	const {status, body, connection} = await new Promise<{status: number; body: string; connection: string | undefined}>((resolve, reject) => {
		const request = httpRequest(`${api.url}/update-modules`, {method: 'POST', headers: {'Transfer-Encoding': 'chunked', 'Content-Type': 'application/json'}}, response => {
			let text = '';
			response.on('data', (chunk: Buffer) => {
				text += chunk.toString();
			});
			response.on('end', () => resolve({status: response.statusCode ?? 0, body: text, connection: response.headers.connection}));
		});
		request.on('error', reject);
		for (let sent = 0; sent < 80 * 1024; sent += 1024) {
			request.write(Buffer.alloc(1024, 0x20));
		}
	});
	t.is(status, 413);
	t.is(connection, 'close');
	t.is((JSON.parse(body) as ErrorAnswer).error.code, 'ERR_API_BODY_TOO_LARGE');
});

test('GET /update-modules lists what update_info reports', async t => {
	const {url} = await serve(t);
	const response = await fetch(`${url}/update-modules`);
	t.is(response.status, 200);
	t.deepEqual(await response.json(), {node: 'fake@localhost', transport: 'dist', modules: ['mod_a']});
});

test('GET /status shows the pipeline and the last batch seen on the bus', async t => {
	const {url, bus, daemon} = await serve(t);
	daemon.runningBatches = 1;
	const first = await (await fetch(`${url}/status`)).json() as Record<string, unknown>;
	t.like(first, {
		version: '9.9.9', node: 'fake@localhost', transport: 'dist', connected: true, directories: ['/ebin'],
		queue: {queuedBatches: 2, runningBatches: 1, pendingChanges: 1, unsettledBeams: 0}, lastBatch: null,
	});
	t.is(typeof first.uptimeSeconds, 'number');
	bus.publish(batchRecord({id: 41}));
	bus.publish({event: 'stop', reason: 'not a batch'});
	const second = await (await fetch(`${url}/status`)).json() as {lastBatch: {id: number}};
	t.is(second.lastBatch.id, 41);
});

test('GET /healthz is 200 when connected, else 503 with a reason', async t => {
	const {url, daemon} = await serve(t);
	const up = await fetch(`${url}/healthz`);
	t.is(up.status, 200);
	t.deepEqual(await up.json(), {ok: true});
	daemon.connected = false;
	const down = await fetch(`${url}/healthz`);
	t.is(down.status, 503);
	t.like(await down.json(), {ok: false, reason: 'The node fake@localhost is unreachable, or the daemon has not initialised it yet'});
});

test('close() stops accepting, waits for a request in flight, and is idempotent', async t => {
	const {url, api, daemon} = await serve(t);
	let finish: () => void = () => undefined;
	daemon.next = () => new Promise(resolve => {
		finish = () => resolve(batchRecord({id: 99}));
	});
	const inFlight = fetch(`${url}/update-modules/all`);
	await waitUntil(() => daemon.calls.length === 1, 'the daemon was called once');
	const closed = api.close();
	t.is(api.close(), closed);
	await t.throwsAsync(fetch(`${url}/healthz`), undefined, 'no new connections');
	finish();
	const response = await inFlight;
	t.is(response.status, 200);
	t.like(await response.json(), {batch: 99});
	await closed;
});

test('close() answers 503 to a request whose batch never comes, after the drain limit', async t => {
	const {url, api, daemon} = await serve(t, {drainTimeoutMs: 50});
	daemon.next = () => new Promise(() => undefined);
	const inFlight = fetch(`${url}/update-modules/all`);
	await waitUntil(() => daemon.calls.length === 1, 'the daemon was called once');
	await api.close();
	const response = await inFlight;
	t.is(response.status, 503);
	t.like(await response.json(), {ok: false, error: {code: 'ERR_API_STOPPING'}});
});

test('an address in use is ERR_API naming it and what to do', async t => {
	const blocker = createServer();
	await new Promise<void>(resolve => blocker.listen(0, '127.0.0.1', resolve));
	t.teardown(() => new Promise<void>(resolve => blocker.close(() => resolve())));
	const address = blocker.address();
	const port = typeof address === 'object' && address !== null ? address.port : 0;
	const bus = new RecordBus();
	const error = await t.throwsAsync(startApiServer({access: {address: {host: '127.0.0.1', port}, token: undefined}, daemon: fakeDaemon(), records: bus, version: '1'}), {instanceOf: ReloaderError});
	t.is(error?.code, 'ERR_API');
	t.is(error?.message, `Cannot serve the API on 127.0.0.1:${port} (api.listen): the address is already in use (EADDRINUSE)`);
	t.regex(error?.hint ?? '', /api\.listen to a free port/);
	t.is(bus.size, 0);
});
