import {Buffer} from 'node:buffer';
import {ReloaderError} from '../../errors.ts';

/** The mod_http_api commands the transport uses; each is `POST {base}/{command}`. */
export type ApiCommand = 'update_list' | 'update' | 'status';

export interface ApiRequest {
	readonly command: ApiCommand;
	readonly url: string;
	readonly method: 'POST';
	readonly headers: Readonly<Record<string, string>>;
	readonly body: string;
}

/**
 * Check `http.url` once, at construction. Credentials inside the URL are
 * refused rather than used: fetch rejects them anyway, and a URL is echoed in
 * every error message, where a password must never appear.
 */
export function parseBaseUrl(url: string): URL {
	let parsed: URL;
	try {
		parsed = new URL(url);
	} catch (error) {
		throw new ReloaderError('ERR_CONFIG_INVALID', `http.url: \`${url}\` is not a URL`, {
			cause: error,
			hint: 'Set http.url to the path that ejabberd maps to mod_http_api, e.g. http://127.0.0.1:5280/api.',
		});
	}
	if (parsed.username !== '' || parsed.password !== '') {
		throw new ReloaderError('ERR_CONFIG_INVALID', `http.url: \`${parsed.protocol}//***@${parsed.host}${parsed.pathname}\` holds credentials`, {
			hint: 'Remove them from the URL; set http.user and keep the password in the file named by http.passwordFile.',
		});
	}
	if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
		throw new ReloaderError('ERR_CONFIG_INVALID', `http.url: \`${url}\` uses ${parsed.protocol}, expected http: or https:`, {
			hint: 'Set http.url to the path that ejabberd maps to mod_http_api, e.g. http://127.0.0.1:5280/api.',
		});
	}
	return parsed;
}

/** `http://h/api` and `http://h/api/` both give `http://h/api/update_list`. */
export function commandUrl(base: URL | string, command: ApiCommand): string {
	const url = new URL(base);
	url.pathname = `${url.pathname.replace(/\/+$/, '')}/${command}`;
	return url.href;
}

/**
 * mod_http_api takes the command's arguments as one JSON object, `{}` when
 * there are none. `authorization` is a ready header value (see basicAuthorization).
 */
export function buildApiRequest(base: URL | string, command: ApiCommand, args: Readonly<Record<string, string>>, authorization?: string): ApiRequest {
	const headers: Record<string, string> = {'Content-Type': 'application/json', Accept: 'application/json'};
	if (authorization !== undefined) {
		headers['Authorization'] = authorization;
	}
	return {command, url: commandUrl(base, command), method: 'POST', headers, body: JSON.stringify(args)};
}

/** RFC 7617 Basic credentials; ejabberd decodes the user as a JID (`admin@localhost`). */
export function basicAuthorization(user: string, password: string): string {
	return `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;
}
