import {performance} from 'node:perf_hooks';
import {DistError, describeValue} from './dist-error.ts';
import type {Term} from '../erlang-term/index.ts';
import {AllowList} from './allow-list.ts';
import {resolveDistClientOptions} from './client-options.ts';
import type {DistClientOptions, DistEvent, ResolvedDistClientOptions} from './client-options.ts';
import {DistConnection} from './connection.ts';
import {lookupNodePort} from './epmd.ts';
import {CLIENT_FLAGS} from './flags.ts';
import {computeDigest} from './handshake.ts';
import {LocalIdentity, newChallenge, newCreation} from './local-identity.ts';
import {makeClientName} from './node-name.ts';
import {RpcChannel} from './rpc.ts';
import {createDistTlsContext} from './tls.ts';
import {untilAborted} from './until-aborted.ts';

export type {DistClientOptions, DistEvent} from './client-options.ts';

export interface CallOptions {
	/** Default: the client's callTimeoutMs. */
	readonly timeoutMs?: number | undefined;
	readonly signal?: AbortSignal | undefined;
}

interface Session {
	readonly connection: DistConnection;
	readonly rpc: RpcChannel;
	readonly localName: string;
}

/**
 * A hidden Erlang node of our own that calls a fixed list of functions on one
 * node through rpc. One attempt per connect or call: the caller owns retries
 * and backoff. The cookie is read on each connect and kept only inside the
 * digest closure of that attempt.
 */
export class DistClient {
	readonly #options: ResolvedDistClientOptions;
	readonly #allow: AllowList;
	#session: Session | undefined;
	#connecting: Promise<Session> | undefined;
	#attempt: AbortController | undefined;
	#closing: Promise<void> | undefined;
	#peerCreation: number | undefined;

	constructor(options: DistClientOptions) {
		this.#options = resolveDistClientOptions(options);
		this.#allow = new AllowList(this.#options.allow);
	}

	get connected(): boolean {
		return this.#session !== undefined && !this.#session.connection.closed;
	}

	/** The node's incarnation at the last handshake (kept after a disconnect); it changes when the node restarts. */
	get peerCreation(): number | undefined {
		return this.#peerCreation;
	}

	/** Our hidden node's name on the current connection (a fresh one per connection), for logs. */
	get localName(): string | undefined {
		return this.connected ? this.#session?.localName : undefined;
	}

	/** Connect unless connected; concurrent callers share one attempt. */
	async connect(signal?: AbortSignal): Promise<void> {
		await this.#ensureSession(signal);
	}

	/** rpc:call(module, fn, args) on the node; the raw result, `{badrpc, ...}` included. */
	async call(module: string, fn: string, args: readonly Term[], options: CallOptions = {}): Promise<Term> {
		this.#allow.check(module, fn, args.length, this.#options.node);
		const timeoutMs = options.timeoutMs ?? this.#options.callTimeoutMs;
		if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) {
			throw new DistError('ERR_DIST_OPTIONS', `timeoutMs for ${module}:${fn}/${args.length} must be a positive integer, got ${describeValue(timeoutMs)}`);
		}
		options.signal?.throwIfAborted();
		const session = await this.#ensureSession(options.signal);
		return session.rpc.call(module, fn, args, {timeoutMs, signal: options.signal});
	}

	/** Idempotent: stops a connect in progress, closes the connection, fails pending calls with ERR_NODE_DOWN. */
	close(): Promise<void> {
		this.#closing ??= this.#shutdown();
		return this.#closing;
	}

	async #shutdown(): Promise<void> {
		const reason = new DistError('ERR_DIST_NODE_DOWN', `The dist client for ${this.#options.node} was closed`, {
			hint: 'Calls after close() are refused; make a new client to connect again.',
		});
		this.#attempt?.abort(reason);
		await this.#connecting?.catch(() => undefined);
		const session = this.#session;
		session?.connection.close(reason);
		await session?.connection.ended;
	}

	#ensureSession(signal: AbortSignal | undefined): Promise<Session> {
		if (this.#closing !== undefined) {
			return Promise.reject(new DistError('ERR_DIST_NODE_DOWN', `The dist client for ${this.#options.node} is closed`));
		}
		if (this.#session !== undefined && !this.#session.connection.closed) {
			return Promise.resolve(this.#session);
		}
		this.#connecting ??= this.#open().finally(() => {
			this.#connecting = undefined;
		});
		return untilAborted(this.#connecting, signal);
	}

	async #open(): Promise<Session> {
		const {node, target, cookieSource, connectTimeoutMs, port, tls} = this.#options;
		const started = performance.now();
		const attempt = new AbortController();
		this.#attempt = attempt;
		let stage = `reading ${cookieSource}`;
		const timer = setTimeout(() => attempt.abort(new DistError('ERR_DIST_TIMEOUT', `Connecting to ${node} took longer than ${connectTimeoutMs} ms (stuck ${stage})`, {
			retryable: true,
			hint: tls === undefined
				? 'Check that the node is up and reachable, or raise connectTimeoutMs.'
				: 'Check that the node is up and reachable and runs TLS distribution (-proto_dist inet_tls: a plain node never answers a TLS client), or raise connectTimeoutMs.',
		})), connectTimeoutMs);
		try {
			const digest = await this.#cookieDigest();
			attempt.signal.throwIfAborted();
			stage = 'reading the TLS certificate, key and CA';
			const secureContext = tls === undefined ? undefined : createDistTlsContext(await tls(), node);
			attempt.signal.throwIfAborted();
			stage = `asking EPMD on ${target.host} for ${target.alive}'s port`;
			const distPort = port ?? (await lookupNodePort(target.alive, node, target.host, attempt.signal)).port;
			stage = tls === undefined ? `connecting to ${target.host}:${distPort} and in the handshake` : `connecting to ${target.host}:${distPort}, in the TLS handshake or the distribution handshake`;
			const identity = new LocalIdentity(makeClientName(target), newCreation());
			// Calls are made only once the session is returned, after `connection` is set.
			const rpc = new RpcChannel(identity, node, packet => connection.send(packet));
			const connection = await DistConnection.open({
				host: target.host,
				port: distPort,
				tls: secureContext,
				peerName: node,
				localName: identity.node.name,
				localCreation: identity.creation,
				flags: CLIENT_FLAGS,
				challenge: newChallenge(),
				digest,
				cookieSource,
				signal: attempt.signal,
				tickIntervalMs: this.#options.tickIntervalMs,
				maxFrameBytes: this.#options.maxFrameBytes,
				decodeLimits: {maxTerms: this.#options.maxMessageTerms, maxInflatedBytes: this.#options.maxInflatedBytes},
				onMessage: message => rpc.deliver(message),
				onWarning: message => this.#emit({type: 'warning', message}),
				onClose: reason => this.#onClosed(rpc, reason),
			});
			const session = {connection, rpc, localName: identity.node.name};
			this.#session = session;
			this.#peerCreation = connection.peerCreation;
			this.#emit({type: 'connected', node, creation: connection.peerCreation ?? 0, ms: Math.round(performance.now() - started)});
			return session;
		} finally {
			clearTimeout(timer);
			this.#attempt = undefined;
		}
	}

	/** Read the cookie now and keep it only inside the returned function. */
	async #cookieDigest(): Promise<(challenge: number) => Buffer> {
		const cookie = await this.#options.cookie();
		if (typeof cookie !== 'string' || cookie === '') {
			throw new DistError('ERR_DIST_OPTIONS', `The cookie reader for ${this.#options.node} returned ${cookie === '' ? 'an empty string' : typeof cookie}, not a cookie`);
		}
		const secret = Buffer.from(cookie, 'latin1');
		return challenge => computeDigest(secret, challenge);
	}

	#onClosed(rpc: RpcChannel, reason: DistError): void {
		rpc.failAll(reason);
		if (this.#session?.rpc === rpc) {
			this.#session = undefined;
			this.#emit({type: 'disconnected', node: this.#options.node, reason: reason.message});
		}
	}

	#emit(event: DistEvent): void {
		try {
			this.#options.onEvent(event);
		} catch {
			// A listener's bug must not break the connection it is told about.
		}
	}
}
