import {DistError} from './dist-error.ts';
import {DecodeBudget, Pid, Tuple, decodeTermAt, decodeTermAtInSlices, encodeTerm} from '../erlang-term/index.ts';
import type {DecodeLimits, DecodedTerm, Term} from '../erlang-term/index.ts';

/** Control message operations (the first element of the control tuple) this client looks at. */
export const OP = Object.freeze({
	LINK: 1,
	SEND: 2,
	EXIT: 3,
	REG_SEND: 6,
	SEND_TT: 12,
	REG_SEND_TT: 16,
	MONITOR_P: 19,
	DEMONITOR_P: 20,
	MONITOR_P_EXIT: 21,
	SEND_SENDER: 22,
	SEND_SENDER_TT: 23,
});

/** SEND and its variants: `{Op, FromOrEmpty, ToPid, ...}`. */
const SEND_OPS: ReadonlySet<number> = new Set([OP.SEND, OP.SEND_TT, OP.SEND_SENDER, OP.SEND_SENDER_TT]);

const PASS_THROUGH = 112; // 'p'

/** A 4-byte zero length: "still here". */
export const TICK: Buffer = Buffer.alloc(4);

export interface DistMessage {
	readonly op: number;
	readonly control: Tuple;
	/** The message term, for operations that carry one (SEND, REG_SEND, payload exits...). */
	readonly message: Term | undefined;
}

/** A whole packet (u32 length first): `'p'`, control term, optional message term. */
export function encodeDistPacket(control: Tuple, message?: Term): Buffer {
	const parts = [encodeTerm(control), ...(message === undefined ? [] : [encodeTerm(message)])];
	const length = 1 + parts.reduce((sum, part) => sum + part.byteLength, 0);
	const header = Buffer.alloc(5);
	header.writeUInt32BE(length, 0);
	header.writeUInt8(PASS_THROUGH, 4);
	return Buffer.concat([header, ...parts], 4 + length);
}

/**
 * Parse a non-tick packet's payload. Throws ERR_DIST_PROTOCOL or ERR_ETF_DECODE:
 * the packet boundary is known, so the caller drops this message and goes on;
 * ERR_ETF_LIMIT when its terms together exceed `limits` (one budget for the
 * control and the message term).
 */
export function parseDistPayload(payload: Buffer, peer: string, limits?: DecodeLimits): DistMessage {
	checkPassThrough(payload, peer);
	const budget = new DecodeBudget(limits);
	const control = decodeTermAt(payload, 1, budget);
	const message = control.end < payload.byteLength ? decodeTermAt(payload, control.end, budget) : undefined;
	return toDistMessage(payload, peer, control, message);
}

/** parseDistPayload in slices of a few milliseconds (see decodeTermAtInSlices): for packets from the network. */
export async function parseDistPayloadInSlices(payload: Buffer, peer: string, limits?: DecodeLimits): Promise<DistMessage> {
	checkPassThrough(payload, peer);
	const budget = new DecodeBudget(limits);
	const control = await decodeTermAtInSlices(payload, 1, budget);
	checkControl(control.term, peer);
	const message = control.end < payload.byteLength ? await decodeTermAtInSlices(payload, control.end, budget) : undefined;
	return toDistMessage(payload, peer, control, message);
}

function checkPassThrough(payload: Buffer, peer: string): void {
	if (payload[0] !== PASS_THROUGH) {
		throw new DistError('ERR_DIST_PROTOCOL', `${peer} sent a ${payload.byteLength}-byte message starting with ${payload[0]}, not 112 ('p'): dropped`, {
			hint: 'This client announces neither the atom cache nor fragments; the node should only send plain messages.',
		});
	}
}

function checkControl(control: Term, peer: string): asserts control is Tuple {
	if (!(control instanceof Tuple) || typeof control.elements[0] !== 'number') {
		throw new DistError('ERR_DIST_PROTOCOL', `${peer} sent a control message that is not a tuple starting with an operation number: dropped`);
	}
}

function toDistMessage(payload: Buffer, peer: string, control: DecodedTerm, message: DecodedTerm | undefined): DistMessage {
	checkControl(control.term, peer);
	if (message !== undefined && message.end !== payload.byteLength) {
		throw new DistError('ERR_DIST_PROTOCOL', `${peer} sent ${payload.byteLength - message.end} bytes after a message's terms: dropped`);
	}
	return {op: control.term.elements[0] as number, control: control.term, message: message?.term};
}

/** The pid a SEND-like message is for; undefined for every other operation. */
export function recipientOf(message: DistMessage): Pid | undefined {
	if (!SEND_OPS.has(message.op)) {
		return undefined;
	}
	const to = message.control.elements[2];
	return to instanceof Pid ? to : undefined;
}
