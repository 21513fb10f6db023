import {request as httpRequest, type IncomingHttpHeaders} from 'node:http';

export interface RawAnswer {
	readonly status: number;
	readonly headers: IncomingHttpHeaders;
	readonly body: string;
	/** The parsed body when it is JSON. */
	readonly json: {ok?: boolean; error?: {code: string; message: string; hint: string}} & Record<string, unknown>;
}

/**
 * One request on its own connection, with exactly the headers given (fetch
 * would not send a foreign Host, and adds headers of its own), the way a
 * browser or an attacker's script would send it.
 */
export function rawRequest(base: string, path: string, options: {method?: string; headers?: Record<string, string>; body?: string} = {}): Promise<RawAnswer> {
	return new Promise((resolve, reject) => {
		const request = httpRequest(`${base}${path}`, {method: options.method ?? 'GET', headers: options.headers, agent: false}, response => {
			let body = '';
			response.setEncoding('utf8');
			response.on('data', (chunk: string) => {
				body += chunk;
			});
			response.on('end', () => {
				let json = {};
				try {
					json = JSON.parse(body) as RawAnswer['json'];
				} catch {
					// Not JSON (an event stream).
				}
				resolve({status: response.statusCode ?? 0, headers: response.headers, body, json});
			});
			response.on('error', reject);
		});
		request.on('error', reject);
		request.end(options.body);
	});
}
