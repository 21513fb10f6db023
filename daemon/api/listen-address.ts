import {isIPv4} from 'node:net';
import {ReloaderError, describeValue} from '../errors.ts';

export interface ListenAddress {
	/** Without brackets: `127.0.0.1`, `::1`, `localhost`. */
	readonly host: string;
	/** 0 lets the kernel pick a free port (tests). */
	readonly port: number;
}

/** `api.listen` (`host:port`, `[v6]:port`) as a host and a port; the schema already checked its form. */
export function parseListenAddress(listen: string): ListenAddress {
	const colon = listen.lastIndexOf(':');
	const rawHost = listen.slice(0, colon);
	const port = Number(listen.slice(colon + 1));
	const host = rawHost.startsWith('[') && rawHost.endsWith(']') ? rawHost.slice(1, -1) : rawHost;
	if (colon <= 0 || host === '' || !Number.isInteger(port) || port < 0 || port > 65_535) {
		throw new ReloaderError('ERR_CONFIG_INVALID', `api.listen: expected host:port with a port from 0 to 65535, got ${describeValue(listen)}`, {
			hint: 'Set api.listen to e.g. 127.0.0.1:5290 (or [::1]:5290).',
		});
	}
	return {host, port};
}

/**
 * Only these keep the API to this machine. Any other name may resolve to an
 * outside address, so it counts as reachable from outside.
 */
export function isLoopbackHost(host: string): boolean {
	const lower = host.toLowerCase();
	if (lower === 'localhost' || lower === '::1') {
		return true;
	}
	const v4 = lower.startsWith('::ffff:') ? lower.slice('::ffff:'.length) : lower;
	return isIPv4(v4) && v4.startsWith('127.');
}

/** `host:port`, with brackets around an IPv6 host, as a URL needs it. */
export function formatAddress(host: string, port: number): string {
	return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
