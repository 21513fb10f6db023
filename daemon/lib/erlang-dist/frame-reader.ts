import {DistError} from './dist-error.ts';

/**
 * Larger packets are refused before being buffered: no rpc answer a caller of
 * this client expects comes near it (update_info for thousands of modules is
 * a few hundred KB).
 */
export const MAX_PACKET_BYTES = 16 * 1024 * 1024;

export type HeaderBytes = 2 | 4;

export interface FrameReaderOptions {
	/** 2 during the handshake, 4 after it. */
	readonly headerBytes: HeaderBytes;
	readonly maxLength?: number;
	/** Named in errors. */
	readonly peer: string;
}

/**
 * Incremental framing of length-prefixed packets, fed whatever chunks the
 * socket delivers. Chunks are queued and copied once into the packet, so a
 * large packet arriving in many pieces costs linear time. After the handshake
 * a 0-length packet is a tick and comes out as an empty Buffer.
 */
export class FrameReader {
	readonly #chunks: Buffer[] = [];
	readonly #maxLength: number;
	readonly #peer: string;
	#headerBytes: HeaderBytes;
	#buffered = 0;

	constructor(options: FrameReaderOptions) {
		this.#headerBytes = options.headerBytes;
		this.#maxLength = options.maxLength ?? MAX_PACKET_BYTES;
		this.#peer = options.peer;
	}

	get buffered(): number {
		return this.#buffered;
	}

	/** Switch the header size, e.g. to 4 once the handshake is done; bytes already buffered are read with the new size. */
	set headerBytes(bytes: HeaderBytes) {
		this.#headerBytes = bytes;
	}

	push(chunk: Buffer): void {
		if (chunk.byteLength > 0) {
			this.#chunks.push(chunk);
			this.#buffered += chunk.byteLength;
		}
	}

	/** The next complete packet's payload, or undefined until more bytes arrive. Throws ERR_DIST_LIMIT on a length over the limit, ERR_DIST_PROTOCOL on an empty handshake packet. */
	next(): Buffer | undefined {
		if (this.#buffered < this.#headerBytes) {
			return undefined;
		}
		const header = this.#peek(this.#headerBytes);
		const length = this.#headerBytes === 2 ? header.readUInt16BE(0) : header.readUInt32BE(0);
		if (length > this.#maxLength) {
			throw new DistError('ERR_DIST_LIMIT', `${this.#peer} announced a ${length}-byte packet, more than the ${this.#maxLength} bytes this client accepts: connection closed`, {
				hint: 'No answer this client asks for is that large: the peer is broken or hostile. Raise maxFrameBytes only if such answers are expected.',
			});
		}
		if (length === 0 && this.#headerBytes === 2) {
			throw new DistError('ERR_DIST_PROTOCOL', `${this.#peer} sent an empty handshake packet`, {
				hint: 'Check that the port belongs to an Erlang node.',
			});
		}
		if (this.#buffered < this.#headerBytes + length) {
			return undefined;
		}
		this.#take(this.#headerBytes);
		return this.#take(length);
	}

	#peek(count: number): Buffer {
		const first = this.#chunks[0];
		if (first !== undefined && first.byteLength >= count) {
			return first.subarray(0, count);
		}
		return Buffer.concat(this.#chunks, count);
	}

	/** Remove `count` bytes from the front: a view when one chunk holds them, else one copy. */
	#take(count: number): Buffer {
		this.#buffered -= count;
		const first = this.#chunks[0];
		if (first !== undefined && first.byteLength >= count) {
			this.#consumeFront(first, count);
			return first.subarray(0, count);
		}
		const out = Buffer.allocUnsafe(count);
		let filled = 0;
		while (filled < count) {
			const chunk = this.#chunks[0];
			if (chunk === undefined) {
				throw new Error('FrameReader: fewer bytes buffered than counted');
			}
			const part = Math.min(chunk.byteLength, count - filled);
			chunk.copy(out, filled, 0, part);
			filled += part;
			this.#consumeFront(chunk, part);
		}
		return out;
	}

	#consumeFront(chunk: Buffer, count: number): void {
		if (count === chunk.byteLength) {
			this.#chunks.shift();
		} else {
			this.#chunks[0] = chunk.subarray(count);
		}
	}
}
