import {DistError, describeValue} from './dist-error.ts';
import type {RemoteFunction} from './allow-list.ts';
import {parseNodeName} from './node-name.ts';
import type {NodeName} from './node-name.ts';
import {tlsOptionProblems, type DistTlsOptions, type DistTlsReader} from './tls.ts';

export type DistEvent =
	| {readonly type: 'connected'; readonly node: string; readonly creation: number; readonly ms: number}
	| {readonly type: 'disconnected'; readonly node: string; readonly reason: string}
	| {readonly type: 'warning'; readonly message: string};

/** Returns the cookie (as Erlang reads it: latin1, no trailing newline). */
export type CookieReader = () => string | Promise<string>;

export interface DistClientOptions {
	/** The node, `name@host`. */
	readonly node: string;
	/**
	 * The node's cookie, or a function that returns it: a function is called on
	 * every connect (so a rotated cookie is picked up) and its errors are passed
	 * on unchanged. The cookie is kept only inside each connect's digest closure.
	 */
	readonly cookie: string | CookieReader;
	/**
	 * How errors name the cookie, e.g. `the cookie in /var/lib/ejabberd/.erlang.cookie`;
	 * never the cookie itself. Default: `the cookie`.
	 */
	readonly cookieSource?: string | undefined;
	/**
	 * TLS distribution, for a node started with `-proto_dist inet_tls`: the
	 * connection to the node's distribution port is TLS (EPMD stays plain
	 * TCP), the node's certificate is verified against `ca` and must name the
	 * node name's host, and `cert`/`key` are presented as our client
	 * certificate. A function is called on every connect (renewed files are
	 * picked up); its errors are passed on unchanged. Default: plain TCP.
	 */
	readonly tls?: DistTlsOptions | DistTlsReader | undefined;
	/** The node's distribution port; skips EPMD. Default: ask EPMD on the node's host. */
	readonly port?: number | undefined;
	/** For the whole of cookie, EPMD, TCP connect and handshake. */
	readonly connectTimeoutMs: number;
	/** Per call, unless the call gives its own. */
	readonly callTimeoutMs: number;
	/** The only functions call() will send. */
	readonly allow: readonly RemoteFunction[];
	readonly onEvent?: ((event: DistEvent) => void) | undefined;
	/** Our keepalive period. Default: 15000 (a quarter of the node's default net_ticktime). */
	readonly tickIntervalMs?: number | undefined;
	/** A packet announcing more is refused before it is buffered, and the connection closed (ERR_DIST_LIMIT). Default: 16 MiB. */
	readonly maxFrameBytes?: number | undefined;
	/** Terms one message (control and message term together) may decode to; past it the connection is closed (ERR_DIST_LIMIT). Default: 500,000. */
	readonly maxMessageTerms?: number | undefined;
	/**
	 * Bytes the compressed terms of one message may inflate to, together. A
	 * node never compresses what it sends over distribution on its own, so
	 * this only stops a hostile peer. Default: 1 MiB.
	 */
	readonly maxInflatedBytes?: number | undefined;
}

export const DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024;
export const DEFAULT_MAX_MESSAGE_TERMS = 500_000;
export const DEFAULT_MAX_INFLATED_BYTES = 1024 * 1024;

export interface ResolvedDistClientOptions extends Required<Omit<DistClientOptions, 'port' | 'onEvent' | 'cookie' | 'cookieSource' | 'tls'>> {
	readonly cookie: CookieReader;
	/** undefined: plain TCP. */
	readonly tls: DistTlsReader | undefined;
	readonly cookieSource: string;
	readonly port: number | undefined;
	readonly target: NodeName;
	readonly onEvent: (event: DistEvent) => void;
}

/** Check every option at once, and report all problems together. */
export function resolveDistClientOptions(options: DistClientOptions): ResolvedDistClientOptions {
	const problems: string[] = [];
	let target: NodeName = {alive: '', host: ''};
	try {
		target = parseNodeName(options.node);
	} catch (error) {
		problems.push((error as Error).message);
	}
	const {cookie} = options;
	if (typeof cookie !== 'function' && (typeof cookie !== 'string' || cookie === '')) {
		// Never quote the value: it may be a cookie.
		problems.push(`cookie must be a non-empty string or a function returning one, got ${cookie === '' ? 'an empty string' : typeof cookie}`);
	}
	if (options.cookieSource !== undefined && (typeof options.cookieSource !== 'string' || options.cookieSource === '')) {
		problems.push(`cookieSource must be a non-empty string, got ${describeValue(options.cookieSource)}`);
	}
	const {tls} = options;
	if (tls !== undefined && typeof tls !== 'function') {
		problems.push(...tlsOptionProblems(tls));
	}
	if (options.port !== undefined && !(Number.isInteger(options.port) && options.port > 0 && options.port < 65_536)) {
		problems.push(`port must be an integer in 1..65535, got ${describeValue(options.port)}`);
	}
	for (const key of ['connectTimeoutMs', 'callTimeoutMs', 'tickIntervalMs', 'maxFrameBytes', 'maxMessageTerms', 'maxInflatedBytes'] as const) {
		const value = options[key];
		const optional = key !== 'connectTimeoutMs' && key !== 'callTimeoutMs';
		if ((value !== undefined || !optional) && !(Number.isSafeInteger(value) && (value ?? 0) > 0)) {
			problems.push(`${key} must be a positive integer, got ${describeValue(value)}`);
		}
	}
	if (!Array.isArray(options.allow)) {
		problems.push(`allow must be an array of {module, function, arity}, got ${describeValue(options.allow)}`);
	}
	if (problems.length > 0) {
		throw new DistError('ERR_DIST_OPTIONS', `Invalid dist client options:\n${problems.map(problem => `  - ${problem}`).join('\n')}`);
	}
	return Object.freeze({
		node: options.node,
		cookie: typeof cookie === 'function' ? cookie : () => cookie,
		cookieSource: options.cookieSource ?? 'the cookie',
		tls: tls === undefined ? undefined : (typeof tls === 'function' ? tls : () => tls),
		port: options.port,
		connectTimeoutMs: options.connectTimeoutMs,
		callTimeoutMs: options.callTimeoutMs,
		allow: Object.freeze([...options.allow]),
		onEvent: options.onEvent ?? (() => undefined),
		tickIntervalMs: options.tickIntervalMs ?? 15_000,
		maxFrameBytes: options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES,
		maxMessageTerms: options.maxMessageTerms ?? DEFAULT_MAX_MESSAGE_TERMS,
		maxInflatedBytes: options.maxInflatedBytes ?? DEFAULT_MAX_INFLATED_BYTES,
		target,
	});
}
