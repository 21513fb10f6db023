/** One dispatched Server-Sent Event. */
export interface SseEvent {
	/** The `event:` field; `message` when the server named none. */
	readonly event: string;
	/** The `data:` lines, joined with `\n`. */
	readonly data: string;
	/** The last `id:` seen so far on this stream ('' when none). */
	readonly id: string;
}

/**
 * An incremental parser for the `text/event-stream` format (WHATWG HTML
 * §9.2.6): feed it text as it arrives, split anywhere, and it returns the
 * events each piece completes. Lines end in LF, CRLF or CR; `:` lines are
 * comments (the server's keep-alive pings); an event is dispatched at the
 * blank line that ends it, and one cut off by the end of the stream is not.
 * Pure: no I/O, no timers. Decoding bytes is the caller's (a streaming
 * TextDecoder keeps a character split across chunks whole).
 */
export class SseParser {
	#buffer = '';
	/** A chunk ended in CR: an LF starting the next one belongs to the same line end. */
	#skipLf = false;
	#atStart = true;
	#event = '';
	#data: string[] = [];
	#id = '';
	#retryMs: number | undefined;

	/** The server's last `retry:` advice in ms, if any. */
	get retryMs(): number | undefined {
		return this.#retryMs;
	}

	push(text: string): SseEvent[] {
		let chunk = text;
		if (chunk === '') {
			return [];
		}
		if (this.#skipLf && chunk.startsWith('\n')) {
			chunk = chunk.slice(1);
		}
		this.#skipLf = false;
		if (this.#atStart) {
			// A byte order mark may open the stream, and only there.
			chunk = chunk.replace(/^\uFEFF/, '');
			this.#atStart = false;
		}
		this.#buffer += chunk;
		const events: SseEvent[] = [];
		for (;;) {
			const end = this.#buffer.search(/[\r\n]/);
			if (end === -1) {
				break;
			}
			const line = this.#buffer.slice(0, end);
			let next = end + 1;
			if (this.#buffer[end] === '\r') {
				if (next === this.#buffer.length) {
					this.#skipLf = true;
				} else if (this.#buffer[next] === '\n') {
					next++;
				}
			}
			this.#buffer = this.#buffer.slice(next);
			const event = this.#processLine(line);
			if (event !== undefined) {
				events.push(event);
			}
		}
		return events;
	}

	#processLine(line: string): SseEvent | undefined {
		if (line === '') {
			return this.#dispatch();
		}
		if (line.startsWith(':')) {
			return undefined;
		}
		const colon = line.indexOf(':');
		const field = colon === -1 ? line : line.slice(0, colon);
		let value = colon === -1 ? '' : line.slice(colon + 1);
		if (value.startsWith(' ')) {
			value = value.slice(1);
		}
		switch (field) {
			case 'event': {
				this.#event = value;
				break;
			}
			case 'data': {
				this.#data.push(value);
				break;
			}
			case 'id': {
				if (!value.includes('\0')) {
					this.#id = value;
				}
				break;
			}
			case 'retry': {
				if (/^\d+$/.test(value)) {
					this.#retryMs = Number(value);
				}
				break;
			}
			default: {
				// Unknown fields are ignored, as the format requires.
			}
		}
		return undefined;
	}

	#dispatch(): SseEvent | undefined {
		const event = this.#event;
		const data = this.#data;
		this.#event = '';
		this.#data = [];
		// A block without data (e.g. `retry:` alone) sets state but is no event.
		if (data.length === 0) {
			return undefined;
		}
		return {event: event === '' ? 'message' : event, data: data.join('\n'), id: this.#id};
	}
}
