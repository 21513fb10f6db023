import type {ServerResponse} from 'node:http';

/** What a JSON route answers; the server writes it. */
export interface Answer {
	readonly status: number;
	readonly body: unknown;
	readonly headers?: Readonly<Record<string, string>>;
}

export const JSON_TYPE = 'application/json; charset=utf-8';

/** Write a JSON answer unless something was already written (a handler that failed half-way). */
export function sendAnswer(response: ServerResponse, answer: Answer, extraHeaders: Readonly<Record<string, string>> = {}): void {
	if (response.headersSent || response.writableEnded || response.destroyed) {
		return;
	}
	const body = `${JSON.stringify(answer.body)}\n`;
	response.writeHead(answer.status, {
		...answer.headers,
		...extraHeaders,
		'Content-Type': JSON_TYPE,
		'Content-Length': String(Buffer.byteLength(body)),
		// Answers describe the node's state at one moment: never serve them from a cache.
		'Cache-Control': 'no-store',
	});
	response.end(body);
}
