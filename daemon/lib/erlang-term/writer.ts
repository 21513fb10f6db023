/**
 * An append-only byte buffer that doubles as it fills. Each write reserves
 * before it touches `#buffer`, since reserving may replace the buffer.
 */
export class Writer {
	#buffer = Buffer.alloc(64);
	#length = 0;

	#reserve(size: number): number {
		const at = this.#length;
		if (at + size > this.#buffer.length) {
			const grown = Buffer.alloc(Math.max(this.#buffer.length * 2, at + size));
			this.#buffer.copy(grown, 0, 0, at);
			this.#buffer = grown;
		}
		this.#length += size;
		return at;
	}

	u8(value: number): void {
		const at = this.#reserve(1);
		this.#buffer.writeUInt8(value, at);
	}

	u16(value: number): void {
		const at = this.#reserve(2);
		this.#buffer.writeUInt16BE(value, at);
	}

	u32(value: number): void {
		const at = this.#reserve(4);
		this.#buffer.writeUInt32BE(value, at);
	}

	i32(value: number): void {
		const at = this.#reserve(4);
		this.#buffer.writeInt32BE(value, at);
	}

	u64(value: bigint): void {
		const at = this.#reserve(8);
		this.#buffer.writeBigUInt64BE(value, at);
	}

	f64(value: number): void {
		const at = this.#reserve(8);
		this.#buffer.writeDoubleBE(value, at);
	}

	bytes(data: Uint8Array): void {
		const at = this.#reserve(data.byteLength);
		this.#buffer.set(data, at);
	}

	/** The bytes written so far, trimmed to size. */
	result(): Buffer {
		return Buffer.from(this.#buffer.subarray(0, this.#length));
	}
}
