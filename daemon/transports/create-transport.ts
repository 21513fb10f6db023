import type {ResolvedConfig} from '../config/schema.ts';
import {ReloaderError} from '../errors.ts';
import {describeAutoFallback, transportFit} from './check-capabilities.ts';
import {CtlTransport} from './ctl/ctl-transport.ts';
import {defaultCookieFiles, findReadableCookieFile} from './distribution/cookie.ts';
import {checkDistTls, configuredNode, distOptions} from './distribution/dist-options.ts';
import {DistTransport} from './distribution/dist-transport.ts';
import {HttpTransport} from './http/http-transport.ts';
import {createPathMap} from './path-map.ts';
import type {Transport} from './transport.ts';

export interface CreateTransportOptions {
	/** The cookie file to use: the configured one, else the first readable default, else undefined. Default: findReadableCookieFile. */
	readonly findCookieFile?: (configured: string | undefined) => Promise<string | undefined>;
}

/** A warning about the transport; `code` says which kind (a secret file readable by others has none). */
export type TransportWarning = (message: string, code?: TransportWarningCode) => void;

/**
 * WARN_TRANSPORT_AUTO: `transport: auto` fell back to ctl, naming every option that lost its effect.
 * WARN_NODE_SLOW: an update_info/update runs longer than expected on a node that still answers.
 * WARN_DIST_MESSAGE: a message from the node did not decode and was dropped (the connection goes on).
 */
export type TransportWarningCode = 'WARN_TRANSPORT_AUTO' | 'WARN_NODE_SLOW' | 'WARN_DIST_MESSAGE';

/**
 * Build the configured transport. `auto` picks `dist` when a cookie file is
 * readable (the fast path, with verification by content) and falls back to
 * `ctl`, which needs no cookie of ours: ejabberdctl reads its own. The
 * fallback is reported once through onWarning (WARN_TRANSPORT_AUTO) with every
 * option it made lose its effect; an explicit transport that cannot honour an
 * option was refused by resolveConfig already.
 */
export async function createTransport(config: ResolvedConfig, onWarning: TransportWarning, options: CreateTransportOptions = {}): Promise<Transport> {
	const findCookieFile = options.findCookieFile ?? findReadableCookieFile;
	const cookieFile = config.transport === 'auto' || config.transport === 'dist' ? await findCookieFile(config.cookieFile) : undefined;
	const kind = config.transport === 'auto' ? (cookieFile === undefined ? 'ctl' : 'dist') : config.transport;
	if (config.transport === 'auto' && kind === 'ctl') {
		const why = `none of ${defaultCookieFiles().join(', ')} is readable by this user`;
		onWarning(describeAutoFallback(transportFit(config, 'ctl'), why), 'WARN_TRANSPORT_AUTO');
	}
	switch (kind) {
		case 'dist': {
			if (cookieFile === undefined) {
				throw new ReloaderError('ERR_COOKIE', `transport dist needs the node's Erlang cookie, and none of ${defaultCookieFiles().join(', ')} is readable by this user`, {
					hint: 'Set `cookieFile` to the node\'s cookie file (ejabberd\'s is /var/lib/ejabberd/.erlang.cookie), run as the ejabberd user, or use `transport: ctl`.',
				});
			}
			await checkDistTls(config);
			return new DistTransport(distOptions(config, {node: configuredNode(config), cookieFile, onWarning, paths: createPathMap(config.paths)}));
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
