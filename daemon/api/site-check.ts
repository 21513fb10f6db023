import type {IncomingHttpHeaders} from 'node:http';
import {ApiError} from './api-error.ts';
import {isLoopbackHost} from './listen-address.ts';

export interface SiteRules {
	/** The host of api.listen, without brackets. */
	readonly listenHost: string;
	/** The port actually bound (api.listen may ask for 0). */
	readonly port: () => number;
	/** api.allowedHosts: `name` (any port) or `name:port`. */
	readonly allowedHosts: readonly string[];
	/** api.allowedOrigins: `scheme://host[:port]`. */
	readonly allowedOrigins: readonly string[];
}

/**
 * Keep web pages out (browser-safe API). A page can make the browser send
 * requests here, but not choose their Host or hide where they come from:
 * - a Host that is not ours means DNS rebinding (a page's own name pointed at
 *   127.0.0.1, so that it may read the answers): 421;
 * - an Origin other than our own address, `Sec-Fetch-Site: cross-site` or
 *   `same-site`, or a Referer from elsewhere means a page of another site
 *   (a form, a fetch, an <img>): 403, unless api.allowedOrigins lists it.
 * curl and scripts send none of these headers and are not affected.
 */
export function createSiteCheck(rules: SiteRules): (headers: IncomingHttpHeaders) => void {
	const allowedOrigins = new Set(rules.allowedOrigins.map(origin => origin.toLowerCase()));
	const allowedHosts = rules.allowedHosts.map(entry => splitHost(entry.toLowerCase()));
	const listenHost = rules.listenHost.toLowerCase();

	const isOurHost = (host: string): boolean => {
		const {name, port} = splitHost(host);
		if (name === listenHost || isLoopbackHost(name)) {
			return (port ?? 80) === rules.port();
		}
		return allowedHosts.some(allowed => allowed.name === name && (allowed.port === undefined || allowed.port === port));
	};

	return headers => {
		const host = headers.host?.toLowerCase();
		// HTTP/1.1 requires Host (Node answers 400 without it); a browser always sends one.
		if (host !== undefined && !isOurHost(host)) {
			throw new ApiError(421, 'ERR_API_HOST', `This API does not answer to the host ${quote(host)}`, {
				hint: `Call it as http://127.0.0.1:${rules.port()} or http://localhost:${rules.port()}; to reach it by another name (e.g. behind a proxy), add that name to api.allowedHosts.`,
			});
		}
		// Old browsers send no Sec-Fetch-Site, and no Origin on a plain GET (an <img>), but a Referer.
		const source = headers.origin ?? originOf(headers.referer);
		if (source !== undefined && allowedOrigins.has(source.toLowerCase())) {
			return;
		}
		const site = headers['sec-fetch-site']?.toLowerCase();
		const crossSite = site === 'cross-site' || site === 'same-site';
		if (crossSite || (source !== undefined && !isSameOrigin(source, host))) {
			throw new ApiError(403, 'ERR_API_CROSS_SITE', `Refused a request from a web page of another site (${describeSource(headers)})`, {
				hint: 'Web pages may not call this API, so that visiting one cannot reload code; call it from curl or a script, or add the page\'s origin to api.allowedOrigins.',
			});
		}
	};
}

/** Whether an origin is the address the request was sent to. */
function isSameOrigin(origin: string, host: string | undefined): boolean {
	if (host === undefined) {
		return false;
	}
	try {
		const parsed = new URL(origin);
		return parsed.protocol === 'http:' && parsed.host.toLowerCase() === host;
	} catch {
		// `null` (a sandboxed page, a file), or junk.
		return false;
	}
}

function originOf(url: string | undefined): string | undefined {
	if (url === undefined) {
		return undefined;
	}
	try {
		return new URL(url).origin;
	} catch {
		return 'null';
	}
}

/** `name`, `name:port`, `[v6]`, `[v6]:port` → the name without brackets, and the port if given. */
function splitHost(host: string): {name: string; port: number | undefined} {
	const match = /^(?:\[([^\]]*)\]|([^:]*))(?::(\d{1,5}))?$/.exec(host);
	if (match === null) {
		return {name: host, port: undefined};
	}
	return {name: match[1] ?? match[2] ?? '', port: match[3] === undefined ? undefined : Number(match[3])};
}

function describeSource(headers: IncomingHttpHeaders): string {
	const parts = [
		headers.origin === undefined ? undefined : `Origin ${quote(headers.origin)}`,
		headers['sec-fetch-site'] === undefined ? undefined : `Sec-Fetch-Site ${quote(headers['sec-fetch-site'])}`,
		headers.origin === undefined && headers.referer !== undefined ? `a Referer of ${quote(originOf(headers.referer) ?? '')}` : undefined,
	];
	return parts.filter(part => part !== undefined).join(', ');
}

function quote(text: string): string {
	return JSON.stringify(text.length > 100 ? `${text.slice(0, 97)}...` : text);
}
