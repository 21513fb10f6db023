import test from 'ava';
import {DistError} from '../../../../daemon/lib/erlang-dist/index.ts';
import {CLIENT_FLAGS} from '../../../../daemon/lib/erlang-dist/flags.ts';
import {HandshakeExchange} from '../../../../daemon/lib/erlang-dist/handshake-exchange.ts';
import type {HandshakeParams} from '../../../../daemon/lib/erlang-dist/handshake-exchange.ts';
import {computeDigest} from '../../../../daemon/lib/erlang-dist/handshake.ts';
import {causeChain} from './_errors.ts';

const NODE = 'ej@localhost';
const COOKIE = 'TOPSECRETCOOKIE';
const NODE_CHALLENGE = 987_654_321;
const OUR_CHALLENGE = 123_456_789;

function params(overrides: Partial<HandshakeParams> = {}): HandshakeParams {
	const secret = Buffer.from(COOKIE);
	return {
		peerName: NODE, localName: 'reloader_ab@localhost', localCreation: 77, flags: CLIENT_FLAGS,
		challenge: OUR_CHALLENGE, digest: challenge => computeDigest(secret, challenge), cookieSource: 'the cookie in /etc/cookie', ...overrides,
	};
}

function challenge(name = NODE, creation = 0x1234_5678): Buffer {
	const nameBytes = Buffer.from(name);
	const payload = Buffer.alloc(19 + nameBytes.byteLength);
	payload.write('N', 0, 'latin1');
	payload.writeBigUInt64BE(0xd_07df_7fbdn, 1);
	payload.writeUInt32BE(NODE_CHALLENGE, 9);
	payload.writeUInt32BE(creation, 13);
	payload.writeUInt16BE(nameBytes.byteLength, 17);
	nameBytes.copy(payload, 19);
	return payload;
}

const ack = (cookie: string): Buffer => Buffer.concat([Buffer.from('a'), computeDigest(Buffer.from(cookie), OUR_CHALLENGE)]);

test('a full exchange: name, status, challenge, reply with both digests, checked ack', t => {
	const exchange = new HandshakeExchange(params());
	t.is(exchange.start().subarray(2, 3).toString(), 'N');
	t.deepEqual(exchange.receive(Buffer.from('sok')), {});
	const reply = exchange.receive(challenge()).send;
	t.is(reply?.toString('hex'), '0015' + '72' + '075bcd15' + computeDigest(Buffer.from(COOKIE), NODE_CHALLENGE).toString('hex'));
	t.is(exchange.stage, 'ack');
	t.deepEqual(exchange.receive(ack(COOKIE)), {done: {peerFlags: 0xd_07df_7fbdn, peerCreation: 0x1234_5678}});
	t.is(exchange.stage, 'done');
});

test('ok_simultaneous is accepted like ok', t => {
	t.deepEqual(new HandshakeExchange(params()).receive(Buffer.from('sok_simultaneous')), {});
});

for (const [status, meaning, retryable] of [
	['not_allowed', /capability flags lack one it requires/, false],
	['nok', /connecting to a node of our name/, true],
	['alive', /already has a live connection/, true],
	['named:xyz', /a status this client does not know/, false],
] as const) {
	test(`status ${status} is refused, saying what it means`, t => {
		const error = t.throws(() => new HandshakeExchange(params()).receive(Buffer.from(`s${status}`)), {instanceOf: DistError});
		t.is(error?.code, 'ERR_DIST_HANDSHAKE');
		t.is(error?.retryable, retryable);
		t.regex(error?.message ?? '', meaning);
		t.true(error?.message.includes(`"${status}"`));
	});
}

test('a status with control bytes and ANSI escapes is shown escaped, never raw', t => {
	const hostile = Buffer.concat([Buffer.from('s'), Buffer.from('\u001B[2J\u001B[31mok\r\nfake log line\u0000'), Buffer.from([0x9b, 0xff])]);
	const error = t.throws(() => new HandshakeExchange(params()).receive(hostile), {instanceOf: DistError});
	t.is(error?.code, 'ERR_DIST_HANDSHAKE');
	t.regex(error?.message ?? '', /a status this client does not know/);
	t.true(error?.message.includes(String.raw`with status "\x1b[2J\x1b[31mok\r\nfake log line\x00\u{009b}ÿ"`), error?.message);
	// Nothing unprintable is left: no ESC, CR, LF, NUL or C1 control.
	t.false([...error?.message ?? ''].some(character => (character.codePointAt(0) ?? 0) < 0x20 || ((character.codePointAt(0) ?? 0) >= 0x7f && (character.codePointAt(0) ?? 0) <= 0x9f)));
});

test('status names that are Object.prototype keys are unknown statuses, not lookups', t => {
	const error = t.throws(() => new HandshakeExchange(params()).receive(Buffer.from('sconstructor')), {instanceOf: DistError});
	t.regex(error?.message ?? '', /with status "constructor": a status this client does not know$/);
});

test('a challenge from another node than the one asked for is refused', t => {
	const exchange = new HandshakeExchange(params());
	exchange.receive(Buffer.from('sok'));
	t.throws(() => exchange.receive(challenge('other@localhost')), {code: 'ERR_DIST_HANDSHAKE', message: /Connected to a node named "other@localhost" where ej@localhost was expected/});
});

test('mutual authentication: an ack that does not prove the cookie is refused, naming the file, not the cookie', t => {
	const exchange = new HandshakeExchange(params());
	exchange.receive(Buffer.from('sok'));
	exchange.receive(challenge());
	const error = t.throws(() => exchange.receive(ack('SOMETHINGELSE')), {instanceOf: DistError});
	t.is(error?.code, 'ERR_DIST_HANDSHAKE');
	t.false(error?.retryable);
	t.regex(error?.message ?? '', /ej@localhost.*\/etc\/cookie/);
	t.false(causeChain(error).includes(COOKIE));
});

test('the node closing after our reply means a wrong cookie: not retryable, names node and file, never the cookie', t => {
	const exchange = new HandshakeExchange(params());
	exchange.receive(Buffer.from('sok'));
	exchange.receive(challenge());
	const error = exchange.closedError(new Error('read ECONNRESET'));
	t.is(error.code, 'ERR_DIST_HANDSHAKE');
	t.false(error.retryable);
	t.is(error.message, 'ej@localhost closed the connection during the handshake: the cookie in /etc/cookie does not match the node\'s');
	t.regex(error.hint ?? '', /Invalid challenge reply/);
	t.false(causeChain(error).includes(COOKIE));
});

test('the node closing before its challenge looks like a node going down: retryable', t => {
	const exchange = new HandshakeExchange(params());
	const error = exchange.closedError();
	t.is(error.code, 'ERR_DIST_NODE_DOWN');
	t.true(error.retryable);
	t.regex(error.message, /before answering our name/);
});
