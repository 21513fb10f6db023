import type {ResolvedConfig} from '../config/schema.ts';
import {ReloaderError} from '../errors.ts';
import {CtlTransport} from './ctl/ctl-transport.ts';
import {defaultCookieFiles, findReadableCookieFile} from './distribution/cookie.ts';
import {DistTransport} from './distribution/dist-transport.ts';
import {HttpTransport} from './http/http-transport.ts';
import type {Transport} from './transport.ts';

/** The node name `dist` uses when none is configured: Debian's default. */
export const DEFAULT_NODE = 'ejabberd@localhost';

/**
 * Build the configured transport. `auto` picks `dist` when a cookie file is
 * readable (the fast path, with verification by content) and falls back to
 * `ctl`, which needs no cookie of ours: ejabberdctl reads its own.
 */
export async function createTransport(config: ResolvedConfig, onWarning: (message: string) => void): Promise<Transport> {
	const cookieFile = config.transport === 'auto' || config.transport === 'dist' ? await findReadableCookieFile(config.cookieFile) : undefined;
	const kind = config.transport === 'auto' ? (cookieFile === undefined ? 'ctl' : 'dist') : config.transport;
	switch (kind) {
		case 'dist': {
			if (cookieFile === undefined) {
				throw new ReloaderError('ERR_COOKIE', `transport dist needs the node's Erlang cookie, and none of ${defaultCookieFiles().join(', ')} is readable by this user`, {
					hint: 'Set `cookieFile` to the node\'s cookie file (ejabberd\'s is /var/lib/ejabberd/.erlang.cookie), run as the ejabberd user, or use `transport: ctl`.',
				});
			}
			return new DistTransport({
				node: config.node ?? DEFAULT_NODE,
				cookieFile,
				port: config.dist.port,
				connectTimeoutMs: config.dist.connectTimeoutMs,
				callTimeoutMs: config.dist.callTimeoutMs,
				onWarning,
			});
		}
		case 'http': {
			return new HttpTransport({
				url: config.http.url,
				user: config.http.user,
				passwordFile: config.http.passwordFile,
				timeoutMs: config.http.timeoutMs,
				node: config.node ?? config.http.url,
				onWarning,
			});
		}
		case 'ctl': {
			return new CtlTransport({command: config.ctl.command, node: config.node, timeoutMs: config.ctl.timeoutMs});
		}
	}
}
