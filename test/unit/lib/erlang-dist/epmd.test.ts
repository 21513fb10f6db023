import test from 'ava';
import {encodePortPlease, lookupNodePort, parsePortPleaseResponse, portPleaseResponseLength} from '../../../../daemon/lib/erlang-dist/epmd.ts';
import {closedPort, listen} from './_servers.ts';

const NODE = 'ejabberd@localhost';

// A real answer for a node named "ejabberd" on port 40000: 119, 0, port, 77 ('M'), 0 (tcp), 6, 6, nlen, name, elen.
const ANSWER = Buffer.from('7700' + '9c40' + '4d' + '00' + '0006' + '0006' + '0008' + Buffer.from('ejabberd').toString('hex') + '0000', 'hex');

test('PORT_PLEASE2_REQ: u16 len, 122, the name before @', t => {
	t.is(encodePortPlease('ejabberd').toString('hex'), '0009' + '7a' + Buffer.from('ejabberd').toString('hex'));
});

test('a good answer gives the port and the rest', t => {
	t.deepEqual(parsePortPleaseResponse(ANSWER, NODE, 'localhost'), {
		port: 40_000, nodeType: 77, protocol: 0, highestVersion: 6, lowestVersion: 6, name: 'ejabberd', extra: Buffer.alloc(0),
	});
	const withExtra = Buffer.concat([ANSWER.subarray(0, -2), Buffer.from('0002abcd', 'hex')]);
	t.deepEqual(parsePortPleaseResponse(withExtra, NODE, 'localhost').extra, Buffer.from('abcd', 'hex'));
});

test('the answer\'s length is known as soon as its lengths are in', t => {
	t.is(portPleaseResponseLength(ANSWER.subarray(0, 1)), undefined);
	t.is(portPleaseResponseLength(Buffer.from([119, 1])), 2);
	t.is(portPleaseResponseLength(ANSWER.subarray(0, 11)), undefined);
	t.is(portPleaseResponseLength(ANSWER.subarray(0, 20)), undefined);
	t.is(portPleaseResponseLength(ANSWER.subarray(0, 22)), ANSWER.byteLength);
});

test('not registered: ERR_DIST_NODE_DOWN, retryable, saying what to check', t => {
	const error = t.throws(() => parsePortPleaseResponse(Buffer.from([119, 1]), NODE, 'localhost'));
	t.like(error, {code: 'ERR_DIST_NODE_DOWN', retryable: true});
	t.regex(error?.message ?? '', /ejabberd@localhost is not registered with EPMD on localhost/);
	t.regex((error as {hint?: string} | undefined)?.hint ?? '', /epmd -names/);
});

for (const [title, bytes] of [
	['an empty answer', Buffer.alloc(0)],
	['one byte', Buffer.from([119])],
	['another tag', Buffer.from('HTTP/1.1 400 Bad Request\r\n')],
	['a truncated answer', ANSWER.subarray(0, 15)],
	['trailing bytes', Buffer.concat([ANSWER, Buffer.from([0])])],
] as const) {
	test(`garbage (${title}) is a typed protocol error`, t => {
		t.throws(() => parsePortPleaseResponse(bytes, NODE, 'localhost'), {code: 'ERR_DIST_PROTOCOL', message: /EPMD on localhost gave a malformed answer about ejabberd@localhost/});
	});
}

test('lookupNodePort asks over a fresh connection and parses the answer, even one split in pieces', async t => {
	const requests: Buffer[] = [];
	const {port} = await listen(t, socket => socket.once('data', (request: Buffer) => {
		requests.push(request);
		socket.write(ANSWER.subarray(0, 5));
		setImmediate(() => socket.end(ANSWER.subarray(5)));
	}));
	const entry = await lookupNodePort('ejabberd', NODE, '127.0.0.1', AbortSignal.timeout(10_000), port);
	t.is(entry.port, 40_000);
	t.deepEqual(requests, [encodePortPlease('ejabberd')]);
});

test('EPMD unreachable (ECONNREFUSED) is ERR_DIST_NODE_DOWN, retryable', async t => {
	const error = await t.throwsAsync(lookupNodePort('ejabberd', NODE, '127.0.0.1', AbortSignal.timeout(10_000), await closedPort()));
	t.like(error, {code: 'ERR_DIST_NODE_DOWN', retryable: true});
	t.regex(error?.message ?? '', /Cannot reach EPMD on 127\.0\.0\.1:\d+ to find ejabberd@localhost \(ECONNREFUSED\)/);
});

test('EPMD closing without an answer is a protocol error', async t => {
	const {port} = await listen(t, socket => socket.end());
	await t.throwsAsync(lookupNodePort('ejabberd', NODE, '127.0.0.1', AbortSignal.timeout(10_000), port), {code: 'ERR_DIST_PROTOCOL'});
});

test('an abort rejects with the signal\'s reason', async t => {
	const {port} = await listen(t, () => undefined);
	const controller = new AbortController();
	const lookup = lookupNodePort('ejabberd', NODE, '127.0.0.1', controller.signal, port);
	const reason = new Error('stop');
	controller.abort(reason);
	t.is(await t.throwsAsync(lookup), reason);
});
