import {createServer, type IncomingMessage, type ServerResponse} from 'node:http';

export interface SeenRequest {
	readonly method: string;
	readonly path: string;
	readonly headers: IncomingMessage['headers'];
	readonly body: string;
}

export interface FakeApi {
	readonly url: string;
	readonly seen: readonly SeenRequest[];
	close(): Promise<void>;
}

export type Answer = (request: SeenRequest, response: ServerResponse) => void;

/** A stand-in for mod_http_api on 127.0.0.1: records every request and answers as told. */
export async function startFakeApi(answer: Answer): Promise<FakeApi> {
	const seen: SeenRequest[] = [];
	const server = createServer((incoming, response) => {
		const chunks: Buffer[] = [];
		incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
		incoming.on('end', () => {
			const request = {method: incoming.method ?? '', path: incoming.url ?? '', headers: incoming.headers, body: Buffer.concat(chunks).toString('utf8')};
			seen.push(request);
			answer(request, response);
		});
	});
	await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
	const address = server.address();
	const port = typeof address === 'object' && address !== null ? address.port : 0;
	return {
		url: `http://127.0.0.1:${port}/api`,
		seen,
		close: () => new Promise(resolve => {
			server.closeAllConnections();
			server.close(() => resolve());
		}),
	};
}

export function json(status: number, value: unknown): Answer {
	return (_request, response) => {
		response.writeHead(status, {'Content-Type': 'application/json'}).end(JSON.stringify(value));
	};
}
