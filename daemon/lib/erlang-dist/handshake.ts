import {createHash} from 'node:crypto';
import {describeBytes} from '../untrusted-text/index.ts';
import {DistError} from './dist-error.ts';

/**
 * The OTP 23+ handshake messages, as pure builders and parsers. Builders
 * return whole packets (u16 length first); parsers take a packet's payload.
 * Layouts: see "Erlang distribution facts" in DESIGN.md.
 */

export interface NameMessage {
	readonly flags: bigint;
	readonly creation: number;
	readonly name: string;
}

export interface ChallengeMessage {
	readonly flags: bigint;
	readonly challenge: number;
	readonly creation: number;
	readonly name: string;
}

export const DIGEST_BYTES = 16;

const TAG_NAME = 0x4e; // 'N'
const TAG_OLD_NAME = 0x6e; // 'n', OTP 22 and older
const TAG_STATUS = 0x73; // 's'
const TAG_REPLY = 0x72; // 'r'
const TAG_ACK = 0x61; // 'a'

/** `'N', u64 flags, u32 creation, u16 nlen, name`: our name and capabilities. */
export function encodeNameMessage(message: NameMessage): Buffer {
	const name = Buffer.from(message.name, 'utf8');
	const body = Buffer.alloc(15 + name.byteLength);
	body.writeUInt8(TAG_NAME, 0);
	body.writeBigUInt64BE(message.flags, 1);
	body.writeUInt32BE(message.creation, 9);
	body.writeUInt16BE(name.byteLength, 13);
	name.copy(body, 15);
	return withLength(body);
}

/** `'r', u32 our_challenge, digest`: we prove we know the cookie and challenge the node in turn. */
export function encodeChallengeReply(challenge: number, digest: Buffer): Buffer {
	if (digest.byteLength !== DIGEST_BYTES) {
		throw new RangeError(`A handshake digest has ${DIGEST_BYTES} bytes, got ${digest.byteLength}`);
	}
	const body = Buffer.alloc(5 + DIGEST_BYTES);
	body.writeUInt8(TAG_REPLY, 0);
	body.writeUInt32BE(challenge, 1);
	digest.copy(body, 5);
	return withLength(body);
}

/** `'s' + status`: `ok`, `ok_simultaneous`, `nok`, `not_allowed`, `alive`, ... */
export function parseStatus(payload: Buffer, node: string): string {
	expectTag(payload, TAG_STATUS, 'status', node);
	return payload.subarray(1).toString('latin1');
}

/** `'N', u64 flags, u32 challenge, u32 creation, u16 nlen, name`: the node's answer to our name. */
export function parseChallenge(payload: Buffer, node: string): ChallengeMessage {
	if (payload[0] === TAG_OLD_NAME) {
		throw new DistError('ERR_DIST_HANDSHAKE', `${node} answered with the pre-OTP 23 handshake ('n'): this client speaks only the OTP 23+ one`, {
			hint: 'Use the ctl transport for nodes older than OTP 23.',
		});
	}
	expectTag(payload, TAG_NAME, 'challenge', node);
	if (payload.byteLength < 19) {
		throw malformed('challenge', node, `${payload.byteLength} bytes, shorter than its 19-byte header`);
	}
	const nameLength = payload.readUInt16BE(17);
	if (payload.byteLength !== 19 + nameLength) {
		throw malformed('challenge', node, `${payload.byteLength} bytes where its name length ${nameLength} means ${19 + nameLength}`);
	}
	return {
		flags: payload.readBigUInt64BE(1),
		challenge: payload.readUInt32BE(9),
		creation: payload.readUInt32BE(13),
		name: payload.subarray(19).toString('utf8'),
	};
}

/** `'a', digest`: the node's proof that it knows the cookie too. */
export function parseChallengeAck(payload: Buffer, node: string): Buffer {
	expectTag(payload, TAG_ACK, 'challenge ack', node);
	if (payload.byteLength !== 1 + DIGEST_BYTES) {
		throw malformed('challenge ack', node, `${payload.byteLength} bytes, not ${1 + DIGEST_BYTES}`);
	}
	return payload.subarray(1);
}

/**
 * md5(cookie ++ decimal(challenge)), as dist_util:gen_digest/2. The cookie is
 * the file's bytes (Erlang reads it as latin1), hence a Buffer.
 */
export function computeDigest(cookie: Buffer, challenge: number): Buffer {
	return createHash('md5').update(cookie).update(String(challenge >>> 0), 'latin1').digest();
}

function withLength(body: Buffer): Buffer {
	const packet = Buffer.alloc(2 + body.byteLength);
	packet.writeUInt16BE(body.byteLength, 0);
	body.copy(packet, 2);
	return packet;
}

function expectTag(payload: Buffer, tag: number, what: string, node: string): void {
	if (payload.byteLength === 0 || payload[0] !== tag) {
		const found = payload.byteLength === 0 ? 'an empty packet' : `tag ${payload[0]} (${describeBytes(payload)})`;
		throw malformed(what, node, `${found} where '${String.fromCharCode(tag)}' was expected`);
	}
}

function malformed(what: string, node: string, problem: string): DistError {
	return new DistError('ERR_DIST_PROTOCOL', `Malformed handshake ${what} from ${node}: ${problem}`, {
		hint: 'Check that the port belongs to an Erlang node (a configured `port` skips EPMD).',
	});
}
