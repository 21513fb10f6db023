import {setTimeout as sleep} from 'node:timers/promises';
import {ReloaderError, errorMessage} from '../../errors.ts';
import {backoffDelay, type BackoffOptions} from '../../node/backoff.ts';
import {SseParser, type SseEvent} from '../sse-reader.ts';

export interface FollowOptions {
	/** The daemon's `GET /events` URL. */
	readonly url: URL;
	/** Sent as `Authorization: Bearer`; unset: no header. */
	readonly token?: string | undefined;
	/** Aborting ends the follow: `followEvents` then resolves. */
	readonly signal: AbortSignal;
	readonly onEvent: (event: SseEvent) => void;
	/** The stream is open: first at start, then after each outage (`again`). */
	readonly onConnected: (again: boolean) => void;
	/** Once per outage, not per failed attempt: why, and the first retry's delay. */
	readonly onLost: (reason: string, retryInMs: number) => void;
	/** Default: 0.5 s doubling to 5 s, so a restarted daemon is seen again within seconds. */
	readonly backoff?: BackoffOptions;
	/**
	 * A stream silent this long is taken as dead (a suspended host, a dropped
	 * route: no FIN ever comes). Default 45 s: three of the daemon's 15 s pings.
	 */
	readonly idleTimeoutMs?: number;
}

const defaultBackoff: BackoffOptions = {initialMs: 500, maxMs: 5000};

/**
 * Follow the daemon's event stream until `signal` aborts, reconnecting
 * forever after every outage: the daemon restarts, the stream resumes.
 * Rejects only when retrying cannot help: a refused token, a URL with no
 * event stream behind it.
 */
export async function followEvents(options: FollowOptions): Promise<void> {
	const {signal} = options;
	let attempt = 0;
	let connectedBefore = false;
	let down = false;
	while (!signal.aborted) {
		let reason: string;
		try {
			await streamOnce(options, () => {
				options.onConnected(connectedBefore);
				connectedBefore = true;
				down = false;
				attempt = 0;
			});
			reason = 'the daemon ended the event stream (stopped or restarting?)';
		} catch (error) {
			if (signal.aborted) {
				return;
			}
			if (error instanceof ReloaderError && !error.retryable) {
				throw error;
			}
			reason = errorMessage(error);
		}
		if (signal.aborted) {
			return;
		}
		const delay = backoffDelay(attempt, options.backoff ?? defaultBackoff);
		attempt += 1;
		if (!down) {
			down = true;
			options.onLost(reason, delay);
		}
		try {
			await sleep(delay, undefined, {signal});
		} catch {
			return;
		}
	}
}

/** One connection: resolves when the server ends the stream, rejects on any failure. */
async function streamOnce(options: FollowOptions, connected: () => void): Promise<void> {
	const idleTimeoutMs = options.idleTimeoutMs ?? 45_000;
	const controller = new AbortController();
	const stop = () => controller.abort();
	options.signal.addEventListener('abort', stop, {once: true});
	let idle: NodeJS.Timeout | undefined;
	const watch = () => {
		clearTimeout(idle);
		idle = setTimeout(() => controller.abort(new Error(`no data for ${idleTimeoutMs / 1000} s, not even a ping`)), idleTimeoutMs);
	};
	try {
		watch();
		const response = await connect(options, controller.signal);
		const body = response.body;
		if (body === null) {
			return;
		}
		connected();
		const decoder = new TextDecoder();
		const parser = new SseParser();
		for await (const chunk of body) {
			watch();
			for (const event of parser.push(decoder.decode(chunk, {stream: true}))) {
				options.onEvent(event);
			}
		}
	} catch (error) {
		// An idle abort rejects with its own reason; say that rather than "aborted".
		throw controller.signal.aborted && controller.signal.reason instanceof Error ? controller.signal.reason : describeFailure(error);
	} finally {
		clearTimeout(idle);
		options.signal.removeEventListener('abort', stop);
	}
}

async function connect(options: FollowOptions, signal: AbortSignal): Promise<Response> {
	const headers: Record<string, string> = {Accept: 'text/event-stream'};
	if (options.token !== undefined) {
		headers.Authorization = `Bearer ${options.token}`;
	}
	const response = await fetch(options.url, {headers, signal});
	if (response.ok && (response.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
		return response;
	}
	// Reading the answer also releases the connection.
	const detail = await answerMessage(response);
	throw refusal(options, response, detail);
}

/** What a non-stream answer means: only a server that may come back (5xx, 429) is worth retrying. */
function refusal(options: FollowOptions, response: Response, detail: string): ReloaderError {
	const what = `${options.url.href} answered ${response.status} ${response.statusText}${detail === '' ? '' : `: ${detail}`}`;
	if (response.status === 401 || response.status === 403) {
		return new ReloaderError('ERR_API', `The daemon refused the event stream: ${what}`, {
			hint: options.token === undefined
				? 'The daemon\'s API requires a token: pass --token-file FILE (or set EJABBERD_RELOADER_TOKEN_FILE) with the file its api.tokenFile names.'
				: 'The token in --token-file is not the daemon\'s: use the file its api.tokenFile names (or the value of api.token).',
		});
	}
	if (response.status >= 500 || response.status === 429 || response.status === 408) {
		return new ReloaderError('ERR_API', what, {retryable: true});
	}
	if (response.ok) {
		return new ReloaderError('ERR_API', `${options.url.href} is no event stream: it answered ${response.status} with Content-Type ${response.headers.get('content-type') ?? '(none)'}`, {
			hint: 'Point --url at the daemon\'s API, its api.listen (default http://127.0.0.1:5290).',
		});
	}
	return new ReloaderError('ERR_API', `The daemon did not open the event stream: ${what}`, {
		hint: 'Point --url at the daemon\'s API, its api.listen (default http://127.0.0.1:5290), and check that api.enabled is true.',
	});
}

/** The API's error answer is `{ok: false, error: {message}}`; anything else is shown as a short text. */
async function answerMessage(response: Response): Promise<string> {
	let text: string;
	try {
		text = await response.text();
	} catch {
		return '';
	}
	try {
		const body = JSON.parse(text) as {error?: {message?: unknown}};
		if (typeof body.error?.message === 'string') {
			return body.error.message;
		}
	} catch {
		// Not the API's JSON: fall through to the raw text.
	}
	const oneLine = text.replaceAll(/\s+/g, ' ').trim();
	return oneLine.length > 200 ? `${oneLine.slice(0, 197)}...` : oneLine;
}

/** fetch's "fetch failed" hides the reason in `cause` (ECONNREFUSED, other side closed). */
function describeFailure(error: unknown): unknown {
	if (error instanceof ReloaderError || !(error instanceof Error)) {
		return error;
	}
	const cause = error.cause as {code?: unknown; message?: unknown} | undefined;
	const detail = typeof cause?.code === 'string' ? cause.code : typeof cause?.message === 'string' ? cause.message : undefined;
	return new Error(detail === undefined ? error.message : `${error.message}: ${detail}`, {cause: error});
}
