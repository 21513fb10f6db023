import {SseParser} from '../../../daemon/cli/sse-reader.ts';
import {describeWitnesses} from '../../support/witness.ts';

/** One parsed SSE block: an event's fields, or a comment. */
export interface SseBlock {
	readonly id?: string;
	readonly event?: string;
	readonly data?: string;
	readonly comment?: string;
}

/** A plain fetch reading `GET /events`, the way a `tail` client does; aborted when closed. */
export class SseClient {
	readonly response: Response;
	text = '';
	readonly #abort: AbortController;
	readonly #done: Promise<void>;
	readonly #wakers = new Set<() => void>();
	readonly #parser = new SseParser();
	readonly #blocks: SseBlock[] = [];

	private constructor(response: Response, abort: AbortController) {
		this.response = response;
		this.#abort = abort;
		this.#done = this.#read();
	}

	static async open(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
		const abort = new AbortController();
		const response = await fetch(url, {headers, signal: abort.signal});
		return new SseClient(response, abort);
	}

	/** Whether the server ended the stream. */
	ended = false;

	/** The events and comments parsed so far, by the parser `tail` uses (daemon/cli/sse-reader.ts). */
	blocks(): SseBlock[] {
		return this.#blocks;
	}

	/** The events (with an `event:` field), data parsed. */
	events(): {id: number; event: string; data: Record<string, unknown>}[] {
		return this.#blocks.filter(block => block.event !== undefined).map(block => ({
			id: Number(block.id),
			event: block.event ?? '',
			data: JSON.parse(block.data ?? 'null') as Record<string, unknown>,
		}));
	}

	async waitFor(condition: (client: SseClient) => boolean, what: string, timeoutMs = 60_000): Promise<void> {
		const deadline = Date.now() + timeoutMs;
		while (!condition(this)) {
			if (this.ended || Date.now() > deadline) {
				throw new Error(`${this.ended ? 'The stream ended' : `Timed out after ${timeoutMs} ms`} waiting for ${what}; received:\n${this.text}${describeWitnesses()}`);
			}
			await new Promise<void>(resolve => {
				const wake = () => {
					clearTimeout(timer);
					this.#wakers.delete(wake);
					resolve();
				};
				const timer = setTimeout(wake, Math.min(1000, Math.max(0, deadline - Date.now())));
				this.#wakers.add(wake);
			});
		}
	}

	/** Resolves when the stream ended (by the server or by close()). */
	get done(): Promise<void> {
		return this.#done;
	}

	async close(): Promise<void> {
		this.#abort.abort();
		await this.#done;
	}

	async #read(): Promise<void> {
		const decoder = new TextDecoder();
		try {
			for await (const chunk of this.response.body ?? []) {
				const text = decoder.decode(chunk as Uint8Array, {stream: true});
				this.text += text;
				for (const {id, event, data} of this.#parser.push(text)) {
					this.#blocks.push({id, event, data});
				}
				this.#blocks.push(...this.#parser.takeComments().map(comment => ({comment})));
				this.#wake();
			}
		} catch {
			// Aborted by close(), or the connection went away: either way the stream is over.
		}
		this.ended = true;
		this.#wake();
	}

	#wake(): void {
		for (const wake of this.#wakers) {
			wake();
		}
	}
}
