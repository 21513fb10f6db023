import test from 'ava';
import {Pid, Ref, atom, decodeTermAt, encodeTerm, tuple} from '../../../../daemon/lib/erlang-term/index.ts';
import {OP, TICK, encodeDistPacket, parseDistPayload, recipientOf} from '../../../../daemon/lib/erlang-dist/dist-message.ts';

const PEER = 'ej@localhost';
const us = new Pid(atom('reloader_ab@localhost'), 1, 0, 77);

const payloadOf = (packet: Buffer): Buffer => packet.subarray(4);

test('a packet is u32 length, \'p\', the control term, the message term', t => {
	const packet = encodeDistPacket(tuple(OP.REG_SEND, us, atom(''), atom('rex')), atom('hi'));
	t.is(packet.readUInt32BE(0), packet.byteLength - 4);
	t.is(packet[4], 112);
	const control = decodeTermAt(packet, 5);
	t.deepEqual(control.term, tuple(6, us, atom(''), atom('rex')));
	t.deepEqual(decodeTermAt(packet, control.end), {term: atom('hi'), end: packet.byteLength});
});

test('a tick is four zero bytes', t => {
	t.deepEqual(TICK, Buffer.from([0, 0, 0, 0]));
});

test('parse gives the operation, control and message; recipientOf finds our pid in every SEND variant', t => {
	for (const control of [tuple(OP.SEND, atom(''), us), tuple(OP.SEND_TT, atom(''), us, atom('token')), tuple(OP.SEND_SENDER, us, us), tuple(OP.SEND_SENDER_TT, us, us, 0)]) {
		const message = parseDistPayload(payloadOf(encodeDistPacket(control, 42)), PEER);
		t.is(message.message, 42);
		t.deepEqual(recipientOf(message), us);
	}
	const regSend = parseDistPayload(payloadOf(encodeDistPacket(tuple(OP.REG_SEND, us, atom(''), atom('rex')), 1)), PEER);
	t.is(regSend.op, OP.REG_SEND);
	t.is(recipientOf(regSend), undefined);
});

test('control-only messages (LINK, EXIT, MONITOR_P_EXIT) parse with no message and no recipient', t => {
	const link = parseDistPayload(payloadOf(encodeDistPacket(tuple(OP.LINK, us, us))), PEER);
	t.is(link.op, OP.LINK);
	t.is(link.message, undefined);
	t.is(recipientOf(link), undefined);
	const exit = parseDistPayload(payloadOf(encodeDistPacket(tuple(OP.MONITOR_P_EXIT, us, us, new Ref(atom('x'), 1, [1, 2, 3]), atom('noproc')))), PEER);
	t.is(exit.op, OP.MONITOR_P_EXIT);
});

test('what is not \'p\' + terms is a typed error for that one message', t => {
	t.throws(() => parseDistPayload(Buffer.from([68, 1, 2]), PEER), {code: 'ERR_DIST_PROTOCOL', message: /starting with 68, not 112/});
	t.throws(() => parseDistPayload(Buffer.concat([Buffer.from([112]), encodeTerm(atom('x'))]), PEER), {code: 'ERR_DIST_PROTOCOL', message: /not a tuple/});
	t.throws(() => parseDistPayload(Buffer.from([112, 131, 255]), PEER), {code: 'ERR_ETF_DECODE'});
	const trailing = Buffer.concat([payloadOf(encodeDistPacket(tuple(OP.SEND, atom(''), us), 1)), Buffer.from([0])]);
	t.throws(() => parseDistPayload(trailing, PEER), {code: 'ERR_DIST_PROTOCOL', message: /1 bytes after/});
});
