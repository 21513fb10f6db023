import {createServer, type IncomingMessage, type ServerResponse} from 'node:http';
import type {AddressInfo} from 'node:net';
import test, {type ExecutionContext} from 'ava';
import type {SseEvent} from '../../../daemon/cli/sse-reader.ts';
import {followEvents, type FollowOptions} from '../../../daemon/cli/tail/follow-events.ts';
import {ReloaderError} from '../../../daemon/errors.ts';

type Handler = (request: IncomingMessage, response: ServerResponse, connection: number) => void;

/** A local server answering each connection (numbered from 1) with `handler`. */
async function serve(t: ExecutionContext, handler: Handler): Promise<URL> {
	let connections = 0;
	const server = createServer((request, response) => {
		connections += 1;
		handler(request, response, connections);
	});
	await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
	t.teardown(() => {
		server.closeAllConnections();
		server.close();
	});
	return new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/events`);
}

function sendEvent(response: ServerResponse, data: string): void {
	if (!response.headersSent) {
		response.writeHead(200, {'Content-Type': 'text/event-stream'});
	}
	response.write(`event: batch\ndata: ${data}\n\n`);
}

interface Follow {
	readonly events: SseEvent[];
	readonly lost: string[];
	readonly connected: boolean[];
	readonly done: Promise<void>;
	/** Resolves once `count` events have arrived. */
	waitForEvents(count: number): Promise<void>;
	/** Resolves once an outage was reported. */
	waitForLost(): Promise<void>;
	stop(): void;
}

function follow(url: URL, options: Partial<FollowOptions> = {}): Follow {
	const controller = new AbortController();
	const events: SseEvent[] = [];
	const waiters: Array<() => void> = [];
	const wakeAll = () => {
		for (const wake of waiters.splice(0)) {
			wake();
		}
	};
	const until = async (condition: () => boolean) => {
		while (!condition()) {
			await new Promise<void>(resolve => waiters.push(resolve));
		}
	};
	const follow: Follow = {
		events,
		lost: [],
		connected: [],
		done: followEvents({
			url,
			signal: controller.signal,
			backoff: {initialMs: 10, maxMs: 50},
			onEvent(event) {
				events.push(event);
				wakeAll();
			},
			onConnected: again => follow.connected.push(again),
			onLost(reason) {
				follow.lost.push(reason);
				wakeAll();
			},
			...options,
		}),
		waitForEvents: count => until(() => events.length >= count),
		waitForLost: () => until(() => follow.lost.length > 0),
		stop: () => controller.abort(),
	};
	return follow;
}

test('events arrive in order; aborting ends the follow quietly', async t => {
	const url = await serve(t, (_request, response) => {
		sendEvent(response, '1');
		sendEvent(response, '2');
	});
	const following = follow(url);
	await following.waitForEvents(2);
	following.stop();
	await following.done;
	t.deepEqual(following.events.map(event => event.data), ['1', '2']);
	t.deepEqual(following.connected, [false]);
	t.deepEqual(following.lost, []);
});

test('the token goes in an Authorization bearer header; the stream asks for text/event-stream', async t => {
	let headers: IncomingMessage['headers'] = {};
	const url = await serve(t, (request, response) => {
		headers = request.headers;
		sendEvent(response, 'ok');
	});
	const following = follow(url, {token: 'sixteen-chars-token'});
	await following.waitForEvents(1);
	following.stop();
	await following.done;
	t.is(headers.authorization, 'Bearer sixteen-chars-token');
	t.is(headers.accept, 'text/event-stream');
});

test('an outage of several failed attempts is reported once, then the stream resumes', async t => {
	const url = await serve(t, (_request, response, connection) => {
		if (connection === 1) {
			sendEvent(response, 'before');
			response.end();
		} else if (connection <= 4) {
			response.writeHead(503, {'Content-Type': 'application/json'}).end('{"ok":false,"error":{"code":"ERR_API_STOPPING","message":"stopping","hint":"x"}}');
		} else {
			sendEvent(response, 'after');
		}
	});
	const following = follow(url);
	await following.waitForEvents(2);
	following.stop();
	await following.done;
	t.deepEqual(following.events.map(event => event.data), ['before', 'after']);
	t.deepEqual(following.connected, [false, true]);
	t.is(following.lost.length, 1);
	t.regex(following.lost[0] ?? '', /ended the event stream/);
});

test('a stream silent past idleTimeoutMs is dropped and opened again', async t => {
	const url = await serve(t, (_request, response, connection) => {
		// Each connection goes silent after one event, as behind a dead route.
		sendEvent(response, `connection ${connection}`);
	});
	const following = follow(url, {idleTimeoutMs: 300});
	await following.waitForEvents(2);
	following.stop();
	await following.done;
	const [first, second] = following.events.map(event => event.data);
	t.not(first, second, 'the second event came over a new connection');
	t.regex(following.lost[0] ?? '', /no data for 0\.3 s, not even a ping/);
});

const fatal: ReadonlyArray<[string, number, string, RegExp]> = [
	['a refused token (401)', 401, 'application/json', /refused the event stream: .* answered 401 Unauthorized: bad token/],
	['a forbidden request (403)', 403, 'application/json', /answered 403 Forbidden: bad token/],
	['a URL without an event stream (404)', 404, 'text/plain', /did not open the event stream: .* answered 404 Not Found/],
	['an answer that is no event stream', 200, 'text/html', /is no event stream: it answered 200 with Content-Type text\/html/],
];
for (const [name, status, type, message] of fatal) {
	test(`${name} ends the follow with ERR_API: retrying cannot help`, async t => {
		const url = await serve(t, (_request, response) => {
			response.writeHead(status, {'Content-Type': type}).end(type === 'application/json' ? '{"ok":false,"error":{"code":"ERR_API_UNAUTHORIZED","message":"bad token","hint":"x"}}' : '<html></html>');
		});
		const following = follow(url);
		const error = await t.throwsAsync(following.done, {instanceOf: ReloaderError, message});
		t.is(error?.code, 'ERR_API');
		t.false(error?.retryable);
		t.deepEqual(following.lost, []);
	});
}

test('a 401 without a token says to pass --token-file; with one, that it is the wrong token', async t => {
	const url = await serve(t, (_request, response) => {
		response.writeHead(401).end();
	});
	const without = await t.throwsAsync(follow(url).done, {instanceOf: ReloaderError});
	t.regex(without?.hint ?? '', /requires a token: pass --token-file/);
	const wrong = await t.throwsAsync(follow(url, {token: 'sixteen-chars-token'}).done, {instanceOf: ReloaderError});
	t.regex(wrong?.hint ?? '', /not the daemon's/);
});

test('a daemon not up yet is retried until it is, and reported once', async t => {
	const probe = createServer();
	await new Promise<void>(resolve => probe.listen(0, '127.0.0.1', resolve));
	const {port} = probe.address() as AddressInfo;
	await new Promise(resolve => probe.close(resolve));
	const following = follow(new URL(`http://127.0.0.1:${port}/events`));
	await following.waitForLost();
	t.regex(following.lost[0] ?? '', /fetch failed: ECONNREFUSED/);
	const server = createServer((_request, response) => sendEvent(response, 'up'));
	await new Promise<void>(resolve => server.listen(port, '127.0.0.1', resolve));
	t.teardown(() => {
		server.closeAllConnections();
		server.close();
	});
	await following.waitForEvents(1);
	following.stop();
	await following.done;
	t.is(following.lost.length, 1);
	t.deepEqual(following.connected, [false]);
});
