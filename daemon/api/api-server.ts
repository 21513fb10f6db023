import {STATUS_CODES, createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http';
import type {Socket} from 'node:net';
import type {Duplex} from 'node:stream';
import {ReloaderError, errorMessage} from '../errors.ts';
import type {DaemonRecord} from '../records.ts';
import type {BatchRecord} from '../reloader/batch-record.ts';
import {sendAnswer, JSON_TYPE} from './answer.ts';
import {assertAccessAllowed, type ApiAccess} from './api-access.ts';
import type {ServiceCalls} from '../service-calls.ts';
import type {RecordSource} from './event-stream.ts';
import {ApiError} from './api-error.ts';
import {createApiRoutes} from './api-routes.ts';
import {createBearerCheck, unauthorized, type BearerVerdict} from './bearer.ts';
import {ConnectionLimit, isProbe} from './connection-limit.ts';
import {errorAnswer, errorBody} from './error-answer.ts';
import {EventStreams, MAX_EVENT_STREAMS, PING_INTERVAL_MS} from './event-stream.ts';
import {InFlight} from './in-flight.ts';
import {formatAddress} from './listen-address.ts';
import {listenError} from './listen-error.ts';
import {BODY_LIMIT_BYTES} from './read-body.ts';
import {matchRoute, pathOf, type RouteTable} from './routes.ts';
import {createSiteCheck} from './site-check.ts';

/** The default of api.maxConnections. */
export const MAX_CONNECTIONS = 256;

export interface ApiServerOptions {
	readonly access: ApiAccess;
	/** What the endpoints call: the service itself (a Daemon has the same calls), typed by the service's own ServiceCalls. */
	readonly daemon: ServiceCalls;
	/** The record bus: streamed to `GET /events`, and the source of `lastBatch` in `GET /status`. */
	readonly records: RecordSource;
	readonly version: string;
	/** Where the API reports its own unexpected failures. Default: nowhere. */
	readonly report?: (record: DaemonRecord) => void;
	/** How long close() waits for requests in flight (their batch) before answering them 503. Default: 30000. */
	readonly drainTimeoutMs?: number;
	/** Default: 15000. */
	readonly pingIntervalMs?: number;
	/** Default: 64 KiB. */
	readonly bodyLimitBytes?: number;
}

export interface ApiServer {
	/** `host:port` actually bound (the real port when api.listen asked for port 0). */
	readonly address: string;
	readonly url: string;
	/** Whether requests need `Authorization: Bearer <token>`. */
	readonly tokenRequired: boolean;
	/** Stop accepting, end event streams, close idle connections, wait for requests in flight; idempotent. */
	close(): Promise<void>;
}

/** Listen on the API's address; resolves once listening. Refuses a non-loopback address without a token. */
export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
	assertAccessAllowed(options.access);
	const server = new HttpApiServer(options);
	await server.listen();
	return server;
}

class HttpApiServer implements ApiServer {
	readonly #options: ApiServerOptions;
	readonly #server: Server;
	readonly #events: EventStreams;
	readonly #routes: RouteTable;
	readonly #inFlight = new InFlight();
	readonly #checkBearer: ((authorization: string | undefined) => BearerVerdict) | undefined;
	readonly #checkSite: (headers: IncomingMessage['headers']) => void;
	readonly #connections: ConnectionLimit;
	#lastBatch: BatchRecord | undefined;
	#unsubscribe: (() => void) | undefined;
	#closing: Promise<void> | undefined;

	constructor(options: ApiServerOptions) {
		this.#options = options;
		const {token, address, maxConnections, maxEventStreams, allowedHosts, allowedOrigins} = options.access;
		this.#checkBearer = token === undefined ? undefined : createBearerCheck(token);
		this.#checkSite = createSiteCheck({listenHost: address.host, port: () => this.#port(), allowedHosts: allowedHosts ?? [], allowedOrigins: allowedOrigins ?? []});
		this.#connections = new ConnectionLimit(maxConnections ?? MAX_CONNECTIONS);
		this.#events = new EventStreams(options.records, options.pingIntervalMs ?? PING_INTERVAL_MS, maxEventStreams ?? MAX_EVENT_STREAMS);
		this.#routes = createApiRoutes({
			daemon: options.daemon,
			events: this.#events,
			bodyLimitBytes: options.bodyLimitBytes ?? BODY_LIMIT_BYTES,
			status: {daemon: options.daemon, version: options.version, startedAt: Date.now(), lastBatch: () => this.#lastBatch},
		});
		// Only the time to receive a request; answers (a batch) may take longer. Headers
		// come at once from any real client: a connection that sends none is not kept
		// long, since it holds one of api.maxConnections (checked every second).
		this.#server = createServer({requestTimeout: 30_000, headersTimeout: 10_000, connectionsCheckingInterval: 1000}, (request, response) => void this.#handle(request, response));
		this.#server.on('connection', (socket: Socket) => this.#connections.admit(socket));
		// Handled here so that a body is only asked for once the request passed every check.
		this.#server.on('checkContinue', (request: IncomingMessage, response: ServerResponse) => void this.#handle(request, response));
		this.#server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => answerClientError(error, socket));
	}

	get tokenRequired(): boolean {
		return this.#checkBearer !== undefined;
	}

	get address(): string {
		const bound = this.#server.address();
		const {host, port} = this.#options.access.address;
		return typeof bound === 'object' && bound !== null ? formatAddress(bound.address, bound.port) : formatAddress(host, port);
	}

	#port(): number {
		const bound = this.#server.address();
		return typeof bound === 'object' && bound !== null ? bound.port : this.#options.access.address.port;
	}

	get url(): string {
		return `http://${this.address}`;
	}

	listen(): Promise<void> {
		const {host, port} = this.#options.access.address;
		return new Promise((resolve, reject) => {
			const onError = (error: Error) => reject(listenError(error, formatAddress(host, port), port));
			this.#server.once('error', onError);
			this.#server.listen({host, port, exclusive: true}, () => {
				this.#server.off('error', onError);
				this.#unsubscribe = this.#options.records.subscribe(record => {
					if (record.event === 'batch') {
						this.#lastBatch = record;
					}
				});
				resolve();
			});
		});
	}

	close(): Promise<void> {
		this.#closing ??= this.#close();
		return this.#closing;
	}

	async #close(): Promise<void> {
		this.#unsubscribe?.();
		const closed = new Promise<void>(resolve => {
			this.#server.close(() => resolve());
		});
		this.#events.close();
		this.#server.closeIdleConnections();
		const drainTimeoutMs = this.#options.drainTimeoutMs ?? 30_000;
		if (!await this.#inFlight.idle(drainTimeoutMs)) {
			// Their batch was dropped by the daemon's shutdown, or is still running past the grace period.
			const stopping = new ApiError(503, 'ERR_API_STOPPING', `The daemon stopped before this request's batch finished (waited ${drainTimeoutMs} ms)`, {
				hint: 'Send the request again once the daemon runs again; GET /status shows the last batch.',
			});
			for (const response of this.#inFlight.pending()) {
				sendAnswer(response, errorAnswer(stopping), {Connection: 'close'});
			}
			await this.#inFlight.idle(1000);
		}
		this.#server.closeAllConnections();
		await closed;
	}

	async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
		this.#inFlight.track(response);
		try {
			if (this.#closing !== undefined) {
				throw new ApiError(503, 'ERR_API_STOPPING', 'The daemon is stopping and takes no new requests', {hint: 'Send the request again once the daemon runs again.'});
			}
			this.#connections.check(request.socket, isProbe(request.method ?? '', pathOf(request.url ?? '/')));
			// Before the token: a page must learn nothing, not even whether one is needed.
			this.#checkSite(request.headers);
			this.#authorize(request);
			const handler = matchRoute(this.#routes, request.method ?? '', request.url ?? '/');
			const answer = await handler(request, response);
			if (answer !== undefined) {
				sendAnswer(response, answer, this.#connectionHeaders(request.socket));
			}
		} catch (error) {
			if (!(error instanceof ApiError) && !(error instanceof ReloaderError)) {
				// A bug, not a bad request or a failed reload (the daemon reports those itself).
				this.#options.report?.({event: 'error', severity: 'error', code: 'ERR_API_INTERNAL', message: `${request.method ?? ''} ${pathOf(request.url ?? '')} failed: ${errorMessage(error)}`});
			}
			sendAnswer(response, errorAnswer(error), this.#connectionHeaders(request.socket));
		}
	}

	#authorize(request: IncomingMessage): void {
		const verdict = this.#checkBearer?.(request.headers.authorization) ?? 'ok';
		if (verdict !== 'ok') {
			throw unauthorized(verdict);
		}
	}

	/**
	 * Once closing, every answer ends its connection so close() is not kept
	 * waiting by keep-alive; so does a probe answered past api.maxConnections,
	 * so that it frees its descriptor.
	 */
	#connectionHeaders(socket: Socket): Record<string, string> {
		return this.#closing === undefined && !this.#connections.refuses(socket) ? {} : {Connection: 'close'};
	}
}

/** Requests Node cannot even parse get the same JSON error shape as the rest. */
function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
	if (error.code === 'ECONNRESET' || !socket.writable) {
		socket.destroy();
		return;
	}
	const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
	const body = JSON.stringify(errorBody('ERR_API_HTTP', `The request is not valid HTTP/1.1, or came too slowly (${error.code ?? 'parse error'})`, 'Send a well-formed HTTP/1.1 request with headers under 16 KiB, within 30 s.'));
	socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nContent-Type: ${JSON_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}
