import {ReloaderError, describeValue} from '../../errors.ts';
import type {RemoteFunction} from './allow-list.ts';
import {parseNodeName} from './node-name.ts';
import type {NodeName} from './node-name.ts';

export type DistEvent =
	| {readonly type: 'connected'; readonly node: string; readonly creation: number; readonly ms: number}
	| {readonly type: 'disconnected'; readonly node: string; readonly reason: string}
	| {readonly type: 'warning'; readonly message: string};

export interface DistClientOptions {
	/** The node, `name@host`. */
	readonly node: string;
	/** Read on every connect, so a rotated cookie is picked up. */
	readonly cookieFile: string;
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
}

export interface ResolvedDistClientOptions extends Required<Omit<DistClientOptions, 'port' | 'onEvent'>> {
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
	if (typeof options.cookieFile !== 'string' || options.cookieFile === '') {
		problems.push(`cookieFile must be a file path, got ${describeValue(options.cookieFile)}`);
	}
	if (options.port !== undefined && !(Number.isInteger(options.port) && options.port > 0 && options.port < 65_536)) {
		problems.push(`port must be an integer in 1..65535, got ${describeValue(options.port)}`);
	}
	for (const key of ['connectTimeoutMs', 'callTimeoutMs', 'tickIntervalMs'] as const) {
		const value = options[key];
		if ((value !== undefined || key !== 'tickIntervalMs') && !(Number.isInteger(value) && (value ?? 0) > 0)) {
			problems.push(`${key} must be a positive integer, got ${describeValue(value)}`);
		}
	}
	if (!Array.isArray(options.allow)) {
		problems.push(`allow must be an array of {module, function, arity}, got ${describeValue(options.allow)}`);
	}
	if (problems.length > 0) {
		throw new ReloaderError('ERR_CONFIG_INVALID', `Invalid dist client options:\n${problems.map(problem => `  - ${problem}`).join('\n')}`);
	}
	return Object.freeze({
		node: options.node,
		cookieFile: options.cookieFile,
		port: options.port,
		connectTimeoutMs: options.connectTimeoutMs,
		callTimeoutMs: options.callTimeoutMs,
		allow: Object.freeze([...options.allow]),
		onEvent: options.onEvent ?? (() => undefined),
		tickIntervalMs: options.tickIntervalMs ?? 15_000,
		target,
	});
}
