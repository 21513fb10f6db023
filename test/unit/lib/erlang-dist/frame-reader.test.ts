import test from 'ava';
import {FrameReader, MAX_PACKET_BYTES} from '../../../../daemon/lib/erlang-dist/frame-reader.ts';
import type {HeaderBytes} from '../../../../daemon/lib/erlang-dist/frame-reader.ts';

const PEER = 'ej@localhost';

function frame(headerBytes: HeaderBytes, payload: Buffer): Buffer {
	const header = Buffer.alloc(headerBytes);
	if (headerBytes === 2) {
		header.writeUInt16BE(payload.byteLength);
	} else {
		header.writeUInt32BE(payload.byteLength);
	}
	return Buffer.concat([header, payload]);
}

function drain(reader: FrameReader): Buffer[] {
	const packets: Buffer[] = [];
	for (let packet = reader.next(); packet !== undefined; packet = reader.next()) {
		packets.push(Buffer.from(packet));
	}
	return packets;
}

const payloads = [Buffer.from('p-one'), Buffer.alloc(0), Buffer.from('second message'), Buffer.alloc(0), Buffer.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])];
const stream = Buffer.concat(payloads.map(payload => frame(4, payload)));

test('4-byte packets and ticks come out whole, wherever the stream is split once', t => {
	for (let cut = 0; cut <= stream.byteLength; cut++) {
		const reader = new FrameReader({headerBytes: 4, peer: PEER});
		reader.push(stream.subarray(0, cut));
		const first = drain(reader);
		reader.push(stream.subarray(cut));
		t.deepEqual([...first, ...drain(reader)], payloads, `cut at ${cut}`);
		t.is(reader.buffered, 0);
	}
});

test('one byte at a time', t => {
	const reader = new FrameReader({headerBytes: 4, peer: PEER});
	const packets: Buffer[] = [];
	for (const byte of stream) {
		reader.push(Buffer.from([byte]));
		packets.push(...drain(reader));
	}
	t.deepEqual(packets, payloads);
});

test('2-byte handshake packets, then a switch to 4 bytes with bytes already buffered', t => {
	const handshake = frame(2, Buffer.from('aXXXXXXXXXXXXXXXX'));
	const after = Buffer.concat([frame(4, Buffer.alloc(0)), frame(4, Buffer.from('p!'))]);
	const reader = new FrameReader({headerBytes: 2, peer: PEER});
	reader.push(Buffer.concat([frame(2, Buffer.from('sok')), handshake, after]));
	t.deepEqual(reader.next(), Buffer.from('sok'));
	t.deepEqual(reader.next(), Buffer.from('aXXXXXXXXXXXXXXXX'));
	reader.headerBytes = 4;
	t.deepEqual(drain(reader), [Buffer.alloc(0), Buffer.from('p!')]);
});

test('a length over the limit is refused as soon as the header is in, before buffering the body', t => {
	const reader = new FrameReader({headerBytes: 4, peer: PEER, maxLength: 100});
	const header = Buffer.alloc(4);
	header.writeUInt32BE(101);
	reader.push(header);
	const error = t.throws(() => reader.next());
	t.like(error, {code: 'ERR_DIST_LIMIT', retryable: false});
	t.regex(error?.message ?? '', /ej@localhost announced a 101-byte packet, more than the 100 bytes/);
});

test('the default limit is 16 MiB', t => {
	t.is(MAX_PACKET_BYTES, 16 * 1024 * 1024);
	const reader = new FrameReader({headerBytes: 4, peer: PEER});
	reader.push(Buffer.from([0x01, 0, 0, 1]));
	t.throws(() => reader.next(), {code: 'ERR_DIST_LIMIT'});
});

test('an empty packet during the handshake is a protocol error', t => {
	const reader = new FrameReader({headerBytes: 2, peer: PEER});
	reader.push(Buffer.from([0, 0]));
	t.throws(() => reader.next(), {code: 'ERR_DIST_PROTOCOL', message: /empty handshake packet/});
});

test('a large packet in many chunks is assembled once', t => {
	const payload = Buffer.alloc(1_000_000, 0x61);
	const bytes = frame(4, payload);
	const reader = new FrameReader({headerBytes: 4, peer: PEER});
	for (let offset = 0; offset < bytes.byteLength; offset += 65_536) {
		reader.push(bytes.subarray(offset, offset + 65_536));
		if (offset + 65_536 < bytes.byteLength) {
			t.is(reader.next(), undefined);
		}
	}
	t.deepEqual(reader.next(), payload);
});
