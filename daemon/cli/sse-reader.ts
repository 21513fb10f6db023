import {createParser, type EventSourceParser, type ParseError} from 'eventsource-parser';
import {ReloaderError} from '../errors.ts';

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
 * Bounds on what one stream may make this side hold: a line not yet ended,
 * plus an event whose closing blank line has not come. The daemon's records
 * are one line of JSON each, far below it; a hostile or broken server that
 * sends more is cut off (and `tail` reconnects) instead of growing the heap.
 * Checked after each chunk: what is held is at most this plus one chunk.
 */
export const MAX_EVENT_CHARS = 4 * 1024 * 1024;

/**
 * An incremental parser for the `text/event-stream` format (WHATWG HTML
 * §9.2.6), over eventsource-parser: feed it text as it arrives, split
 * anywhere, and it returns the events each piece completes. Lines end in LF,
 * CRLF or CR; `:` lines are comments (the server's keep-alive pings); an
 * event is dispatched at the blank line that ends it, and one cut off by the
 * end of the stream is not. What it adds: the last event id is kept for later
 * events (as EventSource's lastEventId is), an event without a name is
 * `message`, and more than `maxEventChars` buffered throws ERR_API
 * (retryable: the next connection starts afresh). Pure: no I/O, no timers.
 * Decoding bytes is the caller's (a streaming TextDecoder keeps a character
 * split across chunks whole).
 */
export class SseParser {
	readonly #parser: EventSourceParser;
	readonly #maxEventChars: number;
	#events: SseEvent[] = [];
	#comments: string[] = [];
	#id = '';
	#retryMs: number | undefined;
	#overflow: ParseError | undefined;
	#atStart = true;
	/** The last chunk ended in CR (fed with an LF after it): an LF opening this one is the same line end. */
	#skipLf = false;

	constructor(options: {readonly maxEventChars?: number} = {}) {
		this.#maxEventChars = options.maxEventChars ?? MAX_EVENT_CHARS;
		this.#parser = createParser({
			maxBufferSize: this.#maxEventChars,
			onEvent: ({event, data, id}) => {
				if (id !== undefined) {
					this.#id = id;
				}
				this.#events.push({event: event ?? 'message', data, id: this.#id});
			},
			onRetry: retryMs => {
				this.#retryMs = retryMs;
			},
			onComment: comment => {
				this.#comments.push(comment);
			},
			onError: error => {
				// Unknown fields and a bad `retry:` are ignored, as the format requires; only the bound is fatal.
				if (error.type === 'max-buffer-size-exceeded') {
					this.#overflow = error;
				}
			},
		});
	}

	/** The server's last `retry:` advice in ms, if any. */
	get retryMs(): number | undefined {
		return this.#retryMs;
	}

	/** The comments (`: ping`) pushed since the last call, without their colon; for tests and diagnostics. */
	takeComments(): string[] {
		const comments = this.#comments;
		this.#comments = [];
		return comments;
	}

	/** The events `text` completes; throws ERR_API once the stream exceeds the bound (and on every push after). */
	push(text: string): SseEvent[] {
		if (this.#overflow === undefined && text !== '') {
			this.#parser.feed(this.#normalize(text));
		}
		if (this.#overflow !== undefined) {
			throw new ReloaderError('ERR_API', `The event stream sent over ${this.#maxEventChars} characters without ending a line or an event: not the daemon's stream, or a broken one`, {
				cause: this.#overflow,
				retryable: true,
				hint: 'Point --url at the daemon\'s API; tail reconnects and starts afresh.',
			});
		}
		const events = this.#events;
		this.#events = [];
		return events;
	}

	/**
	 * eventsource-parser holds a CR that ends a chunk back until it sees whether
	 * an LF follows, so the last event of a CR-only stream would wait for the
	 * next ping; an LF is fed after it here, and an LF opening the next chunk dropped.
	 * A byte order mark may open the stream, and only there (the library looks
	 * for its UTF-8 bytes; this text is decoded already).
	 */
	#normalize(text: string): string {
		let chunk = this.#skipLf && text.startsWith('\n') ? text.slice(1) : text;
		if (this.#atStart && chunk !== '') {
			chunk = chunk.replace(/^\uFEFF/, '');
			this.#atStart = false;
		}
		this.#skipLf = chunk.endsWith('\r');
		// CR then LF is one line end to the library: the line the CR ends is parsed now.
		return this.#skipLf ? `${chunk}\n` : chunk;
	}
}
