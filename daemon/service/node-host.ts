import {lookup} from 'node:dns/promises';
import type {ResolvedConfig} from '../config/schema.ts';
import {ReloaderError, errorMessage} from '../errors.ts';
import type {TransportKind} from '../transports/transport.ts';

/** The host the transport will connect to, when it connects itself (`ctl` leaves that to ejabberdctl). */
export function nodeHostOf(config: ResolvedConfig, kind: TransportKind, node: string): string | undefined {
	if (kind === 'http') {
		return new URL(config.http.url).hostname.replace(/^\[|\]$/g, '');
	}
	if (kind === 'dist') {
		return node.slice(node.indexOf('@') + 1);
	}
	return undefined;
}

/**
 * A host name that does not resolve at all is a typo, not an outage: waiting
 * for that node would wait forever. A resolver that cannot answer right now
 * (EAI_AGAIN) is an outage: the daemon waits for the node as for any other.
 */
export async function checkNodeHost(host: string, where: string): Promise<void> {
	try {
		await lookup(host);
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code;
		if (code === 'EAI_AGAIN') {
			return;
		}
		throw new ReloaderError('ERR_CONFIG_INVALID', `${where}: the host ${JSON.stringify(host)} does not resolve (${code ?? errorMessage(error)})`, {
			cause: error,
			hint: 'Give a host name this machine can resolve (`getent hosts NAME`), such as localhost for a node on this machine.',
		});
	}
}
