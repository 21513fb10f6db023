import type {ResolvedConfig} from '../config/schema.ts';
import {ReloaderError} from '../errors.ts';
import {formatAddress, isLoopbackHost, parseListenAddress, type ListenAddress} from './listen-address.ts';
import {checkToken, readTokenFile} from './token-file.ts';

/** Where the API listens and who may call it; the token stays inside this object and the bearer check. */
export interface ApiAccess {
	readonly address: ListenAddress;
	/** Undefined: no token, which is allowed on loopback only. */
	readonly token: string | undefined;
	/** api.maxConnections; default 256. */
	readonly maxConnections?: number;
	/** api.maxEventStreams; default 32. */
	readonly maxEventStreams?: number;
	/** api.allowedHosts: other names the API answers to (the Host header); default none. */
	readonly allowedHosts?: readonly string[];
	/** api.allowedOrigins: web origins allowed to call it; default none. */
	readonly allowedOrigins?: readonly string[];
}

/**
 * Resolve `api.*` at start, before anything reaches the node: a config that
 * would expose the API is a config error (exit 2), not a runtime one.
 * Undefined when the API is disabled.
 */
export async function resolveApiAccess(api: ResolvedConfig['api'], warn: (message: string) => void): Promise<ApiAccess | undefined> {
	if (!api.enabled) {
		return undefined;
	}
	const address = parseListenAddress(api.listen);
	let token: string | undefined;
	if (api.tokenFile !== undefined) {
		token = await readTokenFile(api.tokenFile, warn);
	} else if (api.token !== undefined) {
		checkToken(api.token, 'api.token');
		token = api.token;
	}
	assertAccessAllowed({address, token});
	return {
		address,
		token,
		maxConnections: api.maxConnections,
		maxEventStreams: api.maxEventStreams,
		allowedHosts: api.allowedHosts,
		allowedOrigins: api.allowedOrigins,
	};
}

/** Anyone who reaches the API can reload code on the node: off loopback, only with a token. */
export function assertAccessAllowed(access: ApiAccess): void {
	const {host, port} = access.address;
	if (access.token === undefined && !isLoopbackHost(host)) {
		throw new ReloaderError('ERR_CONFIG_INVALID', `Refusing to serve the API on ${formatAddress(host, port)} without a token: ${host} is not a loopback address, so anyone who can reach it could reload code on the node`, {
			hint: `Set api.tokenFile to a file holding a random token (e.g. \`openssl rand -hex 32\`, chmod 600) and send it as \`Authorization: Bearer <token>\`; or set api.listen to 127.0.0.1:${port}.`,
		});
	}
}
