import test from 'ava';
import {Pid, Ref, atom, decodeTermAt, tuple} from '../../../../daemon/lib/erlang-term/index.ts';
import type {Term} from '../../../../daemon/lib/erlang-term/index.ts';
import {DistError} from '../../../../daemon/lib/erlang-dist/index.ts';
import {OP, encodeDistPacket, parseDistPayload} from '../../../../daemon/lib/erlang-dist/dist-message.ts';
import type {DistMessage} from '../../../../daemon/lib/erlang-dist/dist-message.ts';
import {LocalIdentity} from '../../../../daemon/lib/erlang-dist/local-identity.ts';
import {RpcChannel, encodeRpcCall} from '../../../../daemon/lib/erlang-dist/rpc.ts';

const PEER = 'ej@localhost';

/** A channel whose sent packets are kept, decoded to {control, message}. */
function channel(): {identity: LocalIdentity; rpc: RpcChannel; sent: DistMessage[]} {
	const identity = new LocalIdentity('reloader_ab@localhost', 77);
	const sent: DistMessage[] = [];
	const rpc = new RpcChannel(identity, PEER, packet => {
		sent.push(parseDistPayload(packet.subarray(4), PEER));
		return true;
	});
	return {identity, rpc, sent};
}

/** The reply rex sends for a request we sent: SEND {2, '', OurPid} with {Ref, Result}. */
function replyTo(request: DistMessage, result: Term, control?: Term): DistMessage {
	const call = request.message as {elements: [Term, {elements: [Pid, Ref]}]};
	const [pid, ref] = call.elements[1].elements;
	return parseDistPayload(encodeDistPacket(tuple(...[OP.SEND, atom(''), pid, ...(control === undefined ? [] : [control])] as Term[]), tuple(ref, result)).subarray(4), PEER);
}

function nth(sent: readonly DistMessage[], index: number): DistMessage {
	const message = sent[index];
	if (message === undefined) {
		throw new Error(`only ${sent.length} messages were sent`);
	}
	return message;
}

test('a call is REG_SEND to rex of {\'$gen_call\', {OurPid, Ref}, {call, M, F, Args, user}}', t => {
	const identity = new LocalIdentity('reloader_ab@localhost', 77);
	const ref = identity.newRef();
	const packet = encodeRpcCall(identity, ref, 'code', 'which', [atom('ejabberd')]);
	const control = decodeTermAt(packet, 5);
	t.deepEqual(control.term, tuple(6, new Pid(atom('reloader_ab@localhost'), 1, 0, 77), atom(''), atom('rex')));
	t.deepEqual(decodeTermAt(packet, control.end).term, tuple(
		atom('$gen_call'), tuple(identity.pid, ref), tuple(atom('call'), atom('code'), atom('which'), [atom('ejabberd')], atom('user')),
	));
});

test('references are unique, carry our node and creation, and keep the first word within 18 bits', t => {
	const identity = new LocalIdentity('n@h', 9);
	const keys = new Set<string>();
	let outOfRange = 0;
	for (let index = 0; index < 300_000; index++) {
		const ref = identity.newRef();
		outOfRange += (ref.ids[0] ?? -1) < 2 ** 18 && ref.ids.length === 3 ? 0 : 1;
		keys.add(ref.ids.join('.'));
	}
	t.is(outOfRange, 0);
	t.is(keys.size, 300_000);
	t.like(identity.newRef(), {node: atom('n@h'), creation: 9});
});

test('each reply goes to its own call, whatever the order', async t => {
	const {rpc, sent} = channel();
	const calls = [0, 1, 2].map(index => rpc.call('m', 'f', [index], {timeoutMs: 10_000}));
	t.is(rpc.pending, 3);
	for (const index of [2, 0, 1]) {
		t.true(rpc.deliver(replyTo(nth(sent, index), tuple(atom('ok'), index))));
	}
	t.deepEqual(await Promise.all(calls), [0, 1, 2].map(index => tuple(atom('ok'), index)));
	t.is(rpc.pending, 0);
});

test('a reply with a trace token (SEND_TT) is matched too', async t => {
	const {rpc, sent} = channel();
	const call = rpc.call('m', 'f', [], {timeoutMs: 10_000});
	t.true(rpc.deliver(replyTo(nth(sent, 0), atom('ok'), atom('token'))));
	t.deepEqual(await call, atom('ok'));
});

test('a timed-out call fails with ERR_DIST_TIMEOUT, and its late reply is dropped, not given to the next call', async t => {
	const {rpc, sent} = channel();
	const error = await t.throwsAsync(rpc.call('timer', 'sleep', [500], {timeoutMs: 1}), {instanceOf: DistError});
	t.like(error, {code: 'ERR_DIST_TIMEOUT', retryable: true});
	t.is(error?.message, 'timer:sleep/1 on ej@localhost did not answer within 1 ms');
	const next = rpc.call('erlang', 'node', [], {timeoutMs: 10_000});
	t.false(rpc.deliver(replyTo(nth(sent, 0), atom('late'))));
	t.true(rpc.deliver(replyTo(nth(sent, 1), atom('ej@localhost'))));
	t.deepEqual(await next, atom('ej@localhost'));
});

test('unknown references, foreign pids and other shapes are ignored', async t => {
	const {identity, rpc, sent} = channel();
	const call = rpc.call('m', 'f', [], {timeoutMs: 10_000});
	const stranger = new Ref(identity.node, identity.creation, [999_999 % 2 ** 18, 7, 7]);
	const notUs = new Pid(atom('other@h'), 1, 0, 77);
	for (const message of [
		tuple(stranger, atom('x')),
		atom('hello'),
		tuple(atom('not_a_ref'), 1),
	]) {
		t.false(rpc.deliver(parseDistPayload(encodeDistPacket(tuple(OP.SEND, atom(''), identity.pid), message).subarray(4), PEER)));
	}
	const [, ref] = (nth(sent, 0).message as {elements: [Term, {elements: [Pid, Ref]}]}).elements[1].elements;
	t.false(rpc.deliver(parseDistPayload(encodeDistPacket(tuple(OP.SEND, atom(''), notUs), tuple(ref, 1)).subarray(4), PEER)));
	t.is(rpc.pending, 1);
	rpc.deliver(replyTo(nth(sent, 0), atom('ok')));
	t.deepEqual(await call, atom('ok'));
});

test('an aborted call rejects with the reason and its reply is dropped', async t => {
	const {rpc, sent} = channel();
	const controller = new AbortController();
	const call = rpc.call('m', 'f', [], {timeoutMs: 10_000, signal: controller.signal});
	const reason = new Error('user gave up');
	controller.abort(reason);
	t.is(await t.throwsAsync(call), reason);
	t.false(rpc.deliver(replyTo(nth(sent, 0), atom('ok'))));
	await t.throwsAsync(rpc.call('m', 'f', [], {timeoutMs: 10_000, signal: controller.signal}), {is: reason});
	t.is(sent.length, 1);
});

test('failAll fails pending calls and every later one with that error, sending nothing', async t => {
	const {rpc, sent} = channel();
	const calls = [rpc.call('m', 'f', [], {timeoutMs: 10_000}), rpc.call('m', 'g', [], {timeoutMs: 10_000})];
	const down = new DistError('ERR_DIST_NODE_DOWN', 'gone', {retryable: true});
	rpc.failAll(down);
	for (const call of calls) {
		t.is(await t.throwsAsync(call), down);
	}
	t.is(await t.throwsAsync(rpc.call('m', 'h', [], {timeoutMs: 10_000})), down);
	t.is(sent.length, 2);
	t.is(rpc.pending, 0);
});
