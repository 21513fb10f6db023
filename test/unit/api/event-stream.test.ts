import test from 'ava';
import {SSE_PING, SSE_RETRY, formatEvent} from '../../../daemon/api/event-stream.ts';
import {batchRecord, serve} from './_fake-daemon.ts';
import {SseClient} from './_sse-client.ts';
import {waitUntil} from '../../support/wait.ts';

test('a record is framed as id, event and one line of JSON data, then a blank line', t => {
	const record = {event: 'stop', reason: 'received SIGTERM\nand more'} as const;
	t.is(formatEvent(3, record), `id: 3\nevent: stop\ndata: ${JSON.stringify(record)}\n\n`);
	t.is(formatEvent(3, record).split('\n').length, 5, 'a newline inside a value stays escaped in the JSON');
	t.is(SSE_RETRY, 'retry: 2000\n\n');
	t.is(SSE_PING, ': ping\n\n');
});

test('GET /events sends retry first, then every record on the bus, numbered', async t => {
	const {url, bus} = await serve(t);
	const client = await SseClient.open(`${url}/events`);
	t.teardown(() => client.close());
	t.is(client.response.status, 200);
	t.is(client.response.headers.get('content-type'), 'text/event-stream; charset=utf-8');
	await client.waitFor(c => c.text.startsWith(SSE_RETRY), 'the retry line');
	await waitForSubscribers(bus, 2);
	const batch = batchRecord({id: 12});
	bus.publish({event: 'node', node: 'fake@localhost', state: 'down', reason: 'gone', retryInMs: 1000});
	bus.publish(batch);
	await client.waitFor(c => c.events().length === 2, 'two events');
	t.deepEqual(client.events(), [
		{id: 1, event: 'node', data: {event: 'node', node: 'fake@localhost', state: 'down', reason: 'gone', retryInMs: 1000}},
		{id: 2, event: 'batch', data: JSON.parse(JSON.stringify(batch)) as Record<string, unknown>},
	]);
	t.true(client.text.startsWith(`${SSE_RETRY}${formatEvent(1, {event: 'node', node: 'fake@localhost', state: 'down', reason: 'gone', retryInMs: 1000})}`));
});

test('a quiet stream gets ping comments', async t => {
	const {url} = await serve(t, {pingIntervalMs: 20});
	const client = await SseClient.open(`${url}/events`);
	t.teardown(() => client.close());
	await client.waitFor(c => c.blocks().filter(block => block.comment === 'ping').length >= 2, 'two pings');
	t.true(client.text.includes(SSE_PING));
});

test('a client that goes away is unsubscribed', async t => {
	const {url, bus} = await serve(t);
	// The server's own subscription keeps the last batch for /status.
	t.is(bus.size, 1);
	const clients = await Promise.all([SseClient.open(`${url}/events`), SseClient.open(`${url}/events`)]);
	await waitForSubscribers(bus, 3);
	await clients[0]?.close();
	await waitForSubscribers(bus, 2);
	await clients[1]?.close();
	await waitForSubscribers(bus, 1);
	t.pass();
});

test('closing the server ends the streams and the bus subscriptions', async t => {
	const {url, bus, api} = await serve(t);
	const client = await SseClient.open(`${url}/events`);
	await waitForSubscribers(bus, 2);
	await api.close();
	await client.done;
	t.true(client.ended);
	t.is(bus.size, 0);
});

async function waitForSubscribers(bus: {size: number}, count: number): Promise<void> {
	await waitUntil(() => bus.size === count, `the bus has ${count} subscribers`);
}
