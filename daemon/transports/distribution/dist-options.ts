import type {ResolvedConfig} from '../../config/schema.ts';
import type {DistTransportOptions} from './dist-transport.ts';
import {checkTlsFiles} from './tls-files.ts';

/** The node `dist` talks to when none is configured: Debian's default. */
export const DEFAULT_NODE = 'ejabberd@localhost';

/** The node the config points at: the one node, or the cluster member the daemon runs beside. */
export function configuredNode(config: ResolvedConfig): string {
	return config.node ?? DEFAULT_NODE;
}

/** What differs from one dist connection to the next: the node, its cookie, where it sees the daemon's directories, where warnings go. */
export type DistConnection = Pick<DistTransportOptions, 'node' | 'cookieFile' | 'paths' | 'onWarning'>;

/**
 * The options of one dist connection, resolved from the config in this one
 * place for a single node and for every member of a cluster: the whole
 * `dist` section (timeouts, frame limit, TLS), so a key added there reaches
 * both; `dist.port` only for the configured node, since a node started
 * without EPMD is that one (the other members are found through their EPMD).
 */
export function distOptions(config: ResolvedConfig, connection: DistConnection): DistTransportOptions {
	return {...config.dist, port: connection.node === configuredNode(config) ? config.dist.port : undefined, ...connection};
}

/** `dist.tls`'s files, checked before anything connects: unreadable or mismatched files are a configuration problem (at start and on reconfigure), not a node that is down. */
export async function checkDistTls(config: ResolvedConfig): Promise<void> {
	if (config.dist.tls !== undefined) {
		await checkTlsFiles(config.dist.tls, configuredNode(config));
	}
}
