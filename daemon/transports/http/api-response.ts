import {ReloaderError, describeValue} from '../../errors.ts';
import {isModuleName} from '../../modules/module-name.ts';
import type {ApiCommand} from './api-request.ts';

/** What came back, as plain values: interpretation needs no socket. */
export interface ApiAnswer {
	readonly status: number;
	readonly body: string;
	/** The Location header of a redirect, when there was one. */
	readonly location?: string | undefined;
}

export interface ApiCall {
	readonly command: ApiCommand;
	readonly url: string;
	/** Whether basic auth was sent: a 401 means something else with and without it. */
	readonly authenticated: boolean;
}

const EXCERPT_LENGTH = 160;
const SNIPPET = 'config/ejabberd-http-api.yml';

/**
 * Turn mod_http_api's answer into its JSON value, or a ReloaderError whose
 * code says what to do: retry (the node is not ready), fix the setup (4xx,
 * redirects), or read the node's log (5xx, an answer that is not JSON).
 */
export function interpretApiResponse(call: ApiCall, answer: ApiAnswer): unknown {
	const {status} = answer;
	const said = `${call.url} answered ${status}`;
	const quoted = `: ${bodyExcerpt(answer.body)}`;
	if (status >= 200 && status < 300) {
		try {
			return JSON.parse(answer.body) as unknown;
		} catch (error) {
			throw new ReloaderError('ERR_NODE_COMMAND', `${said} with a body that is not JSON${quoted}`, {
				cause: error,
				hint: `Check that http.url points at mod_http_api (\`request_handlers: {/api: mod_http_api}\`), not at another handler or a proxy page; see ${SNIPPET}.`,
			});
		}
	}
	if (status >= 300 && status < 400) {
		const target = answer.location === undefined ? '' : ` to ${answer.location}`;
		throw new ReloaderError('ERR_HTTP', `${said}, a redirect${target}; requests are not redirected since a POST would turn into a GET`, {
			hint: 'Set http.url to the final URL of mod_http_api.',
		});
	}
	if (status === 401) {
		throw new ReloaderError('ERR_HTTP', `${said} (unauthorized) to ${call.command}${quoted}`, {
			hint: call.authenticated
				? 'ejabberd rejected the basic auth credentials: http.user must be a full JID of an account on the node (admin@localhost), and http.passwordFile must hold its current password.'
				: `The API asks for credentials: set http.user and http.passwordFile, or allow loopback callers by ip with the api_permissions rule in ${SNIPPET}.`,
		});
	}
	if (status === 403) {
		throw new ReloaderError('ERR_HTTP', `${said} (forbidden) to ${call.command}${quoted}`, {
			hint: `ejabberd's api_permissions do not grant \`${call.command}\` to this caller. Add the "reloader" rule from ${SNIPPET} to ejabberd.yml and run \`ejabberdctl reload_config\`. The stock rule that lists both \`acl: loopback\` and \`acl: admin\` requires both: a loopback caller without an admin's basic auth gets 403.`,
		});
	}
	if (status === 404) {
		throw new ReloaderError('ERR_HTTP', `${said} (not found) to ${call.command}${quoted}`, {
			hint: `http.url must be the path that ejabberd's listener maps to mod_http_api (\`request_handlers: {/api: mod_http_api}\` gives http://127.0.0.1:5280/api); see ${SNIPPET}.`,
		});
	}
	if (status < 500) {
		throw new ReloaderError('ERR_HTTP', `${said} to ${call.command}${quoted}`, {
			hint: 'mod_http_api refused the request; this daemon is made for ejabberd 23.01, whose API takes it as sent.',
		});
	}
	if (status === 502 || status === 503 || status === 504) {
		throw new ReloaderError('ERR_NODE_DOWN', `${said}: the node is not ready${quoted}`, {
			retryable: true,
			hint: 'ejabberd (or a proxy in front of it) is starting or stopping; the daemon tries again.',
		});
	}
	throw new ReloaderError('ERR_NODE_COMMAND', `${said} to ${call.command}${quoted}`, {
		hint: 'The command failed inside ejabberd; see ejabberd.log on the node for the details.',
	});
}

/** update_list answers a JSON list of module names; anything else is not an answer to trust. */
export function readModuleList(value: unknown, call: Pick<ApiCall, 'url'>): string[] {
	if (!Array.isArray(value) || !value.every(item => typeof item === 'string')) {
		throw new ReloaderError('ERR_NODE_COMMAND', `${call.url} answered ${describeValue(value)}, expected a JSON list of module names`, {
			hint: `Check that http.url points at mod_http_api of ejabberd 23.01; see ${SNIPPET}.`,
		});
	}
	return value.filter(name => isModuleName(name));
}

/**
 * A short, one-line view of a body for an error message: the `message` of
 * mod_http_api's error object, a JSON string as is, HTML without its tags.
 */
export function bodyExcerpt(body: string): string {
	let text = body;
	try {
		const value = JSON.parse(body) as unknown;
		if (typeof value === 'string') {
			text = value;
		} else if (typeof value === 'object' && value !== null && 'message' in value && typeof value.message === 'string') {
			text = value.message;
		}
	} catch {
		text = body.replace(/<[^>]*>/g, ' ');
	}
	text = text.replace(/\s+/g, ' ').trim();
	if (text === '') {
		return '(empty body)';
	}
	return text.length > EXCERPT_LENGTH ? `${text.slice(0, EXCERPT_LENGTH - 3)}...` : text;
}
