import type {Socket} from 'node:net';
import type {TlsOptions} from 'node:tls';
import type {ExecutionContext} from 'ava';
import {Pid, Tuple, atom, decodeTermAt, encodeTerm, isAtom, tuple} from '../../../../daemon/lib/erlang-term/index.ts';
import type {Ref, Term} from '../../../../daemon/lib/erlang-term/index.ts';
import {computeDigest} from '../../../../daemon/lib/erlang-dist/handshake.ts';
import {listen} from './_servers.ts';

export interface FakeNodeOptions {
	readonly name?: string;
	readonly cookie: string;
	readonly status?: string;
	/** Answer the handshake at all (false: accept and stay silent). */
	readonly answer?: boolean;
	/** Answer each of the client's ticks with one, like a node that keeps talking. */
	readonly echoTicks?: boolean;
	/** Send an ack that does not prove the cookie. */
	readonly badAck?: boolean;
	/** Speak TLS distribution with these server options: the handshake's lengths are u32 then, as inet_tls_dist's. */
	readonly tls?: TlsOptions;
	/** rex: the result for a call (a promise for a late one), or undefined to never reply. */
	readonly rex?: (module: string, fn: string, args: Term[]) => Term | Promise<Term> | undefined;
}

export interface FakeNode {
	readonly port: number;
	readonly name: string;
	/** One per accepted connection: its creation, the name the client gave, and what it sent after the handshake. */
	readonly connections: {creation: number; clientName: string; ticks: number; messages: Tuple[]; replies: number; socket: Socket}[];
	/** Write raw bytes to the latest connection. */
	sendRaw(bytes: Buffer): void;
}

const frame2 = (body: Buffer): Buffer => Buffer.concat([Buffer.from([body.byteLength >> 8, body.byteLength & 0xff]), body]);
const frame4 = (body: Buffer): Buffer => {
	const header = Buffer.alloc(4);
	header.writeUInt32BE(body.byteLength);
	return Buffer.concat([header, body]);
};

/**
 * The node's side of distribution, just enough to test the client without
 * ejabberd: the OTP 23 handshake checked against its own cookie, ticks, and a
 * `rex` that answers `{'$gen_call', {Pid, Ref}, {call, M, F, A, _}}`.
 */
export async function startFakeNode(t: ExecutionContext, options: FakeNodeOptions): Promise<FakeNode> {
	const name = options.name ?? 'fake@localhost';
	const connections: FakeNode['connections'] = [];
	const cookie = Buffer.from(options.cookie, 'latin1');
	const handshakeHeader = options.tls === undefined ? 2 : 4;
	const frame = options.tls === undefined ? frame2 : frame4;
	const {port} = await listen(t, socket => {
		const creation = 1000 + connections.length;
		const connection = {creation, clientName: '', ticks: 0, messages: [] as Tuple[], replies: 0, socket};
		connections.push(connection);
		const challenge = 0x1234_5678 + connections.length;
		let stage: 'name' | 'reply' | 'open' = 'name';
		let buffer = Buffer.alloc(0);
		socket.on('data', (chunk: Buffer) => {
			buffer = Buffer.concat([buffer, chunk]);
			for (;;) {
				const header = stage === 'open' ? 4 : handshakeHeader;
				if (buffer.byteLength < header) {
					return;
				}
				const length = header === 2 ? buffer.readUInt16BE(0) : buffer.readUInt32BE(0);
				if (buffer.byteLength < header + length) {
					return;
				}
				const payload = buffer.subarray(header, header + length);
				buffer = buffer.subarray(header + length);
				if (options.answer === false) {
					continue;
				}
				if (stage === 'name') {
					connection.clientName = payload.subarray(15).toString();
					socket.write(frame(Buffer.from(`s${options.status ?? 'ok'}`)));
					const nameBytes = Buffer.from(name);
					const body = Buffer.alloc(19 + nameBytes.byteLength);
					body.write('N');
					body.writeBigUInt64BE(0xd_07df_7fbdn, 1);
					body.writeUInt32BE(challenge, 9);
					body.writeUInt32BE(creation, 13);
					body.writeUInt16BE(nameBytes.byteLength, 17);
					nameBytes.copy(body, 19);
					socket.write(frame(body));
					stage = 'reply';
				} else if (stage === 'reply') {
					if (!payload.subarray(5).equals(computeDigest(cookie, challenge))) {
						socket.destroy(); // What a real node does: "Invalid challenge reply".
						return;
					}
					const theirs = payload.readUInt32BE(1);
					socket.write(frame(Buffer.concat([Buffer.from('a'), computeDigest(options.badAck === true ? Buffer.from('wrong') : cookie, theirs)])));
					stage = 'open';
				} else if (length === 0) {
					connection.ticks++;
					if (options.echoTicks === true) {
						socket.write(Buffer.alloc(4));
					}
				} else {
					onMessage(connection, payload);
				}
			}
		});
	}, options.tls);

	function onMessage(connection: FakeNode['connections'][number], payload: Buffer): void {
		const control = decodeTermAt(payload, 1);
		const message = decodeTermAt(payload, control.end).term;
		connection.messages.push(control.term as Tuple);
		const [, from, , to] = (control.term as Tuple).elements;
		if (!isAtom(to, 'rex') || !(message instanceof Tuple) || !(from instanceof Pid)) {
			return;
		}
		const [, replyTo, request] = message.elements as [Term, Tuple, Tuple];
		const [pid, ref] = replyTo.elements as [Pid, Ref];
		const [, module, fn, args] = request.elements as [Term, {name: string}, {name: string}, Term[]];
		const result = options.rex?.(module.name, fn.name, args);
		if (result !== undefined) {
			void Promise.resolve(result).then(value => {
				connection.socket.write(packet(tuple(2, atom(''), pid), tuple(ref, value)));
				connection.replies++;
			});
		}
	}

	return {
		port,
		name,
		connections,
		sendRaw: bytes => connections.at(-1)?.socket.write(bytes),
	};
}

/** A post-handshake packet: u32 length, 'p', control, message. */
export function packet(control: Term, message: Term): Buffer {
	const body = Buffer.concat([Buffer.from([112]), encodeTerm(control), encodeTerm(message)]);
	const header = Buffer.alloc(4);
	header.writeUInt32BE(body.byteLength);
	return Buffer.concat([header, body]);
}
