import {ReloaderError} from '../../errors.ts';
import {isModuleName} from '../../modules/module-name.ts';
import {CallGate} from '../call-gate.ts';
import {HTTP_CAPABILITIES} from '../capabilities.ts';
import {WithoutCodeAccess} from '../not-capable.ts';
import type {InitReport, NodeVersions, Transport, UpdateInfo, UpdateOutcome} from '../transport.ts';
import {readStatusVersion, readUpdateSaid} from '../update-said.ts';
import {basicAuthorization, buildApiRequest, parseBaseUrl, type ApiCommand} from './api-request.ts';
import {interpretApiResponse, readModuleList} from './api-response.ts';
import {readPasswordFile} from './password-file.ts';
import {postApi} from './post-api.ts';

export interface HttpTransportOptions {
	/** Base URL of mod_http_api's request handler, e.g. `http://127.0.0.1:5280/api`. */
	readonly url: string;
	/** Basic auth user, a JID such as `admin@localhost`; unset: no auth (an ip rule in api_permissions). */
	readonly user?: string | undefined;
	/** The file holding the password of `user`; required with `user`. */
	readonly passwordFile?: string | undefined;
	/** Limit for one request, body included. */
	readonly timeoutMs: number;
	/** Label for logs and records: the configured node, or the URL. */
	readonly node: string;
	/** Warnings worth a log line (a password file readable by others). */
	readonly onWarning?: ((message: string) => void) | undefined;
}

interface Credentials {
	readonly user: string;
	readonly passwordFile: string;
}

/**
 * The node through ejabberd's mod_http_api: no cookie and no Erlang VM per
 * call, only an api_permissions rule. Like ejabberdctl, `update` answers `""`
 * either way on 23.01 and `"Updated: M"` / `"Not updated: M"` on 24.12 (read
 * into `said`); the reloader verifies through a second `update_list`.
 */
export class HttpTransport extends WithoutCodeAccess implements Transport {
	readonly kind = 'http';
	readonly capabilities = HTTP_CAPABILITIES;
	readonly node: string;
	readonly #base: URL;
	readonly #timeoutMs: number;
	readonly #credentials: Credentials | undefined;
	readonly #onWarning: ((message: string) => void) | undefined;
	// The Authorization header, read from the file once; only a success is kept, so a fixed file is picked up.
	#authorization: Promise<string> | undefined;
	/** One update_list/update at a time: each makes ejabberd_update read every beam of the ebin. */
	readonly #gate: CallGate;

	constructor(options: HttpTransportOptions) {
		super();
		this.#base = parseBaseUrl(options.url);
		this.#timeoutMs = options.timeoutMs;
		this.#credentials = resolveCredentials(options.user, options.passwordFile);
		this.#onWarning = options.onWarning;
		this.node = options.node;
		this.#gate = new CallGate({node: this.node, callTimeoutMs: options.timeoutMs, slowCallLimitMs: options.timeoutMs});
	}

	/** update_list calls into `ejabberd_update`, which loads it, and fails loudly if that is impossible. */
	async ensureUpdaterLoaded(signal?: AbortSignal): Promise<InitReport> {
		await this.#call('update_list', {}, signal);
		return {method: 'mod_http_api update_list', wasLoaded: undefined, versions: await this.#versions(signal)};
	}

	/**
	 * `status` answers a JSON string naming ejabberd's version, when
	 * api_permissions grant it (config/ejabberd-http-api.yml does); refused or
	 * odd, the version is simply not known. The OTP release is never said.
	 */
	async #versions(signal?: AbortSignal): Promise<NodeVersions> {
		const said = await this.#call('status', {}, signal).then(({value}) => (typeof value === 'string' ? value : ''), () => '');
		const ejabberd = readStatusVersion(said);
		return ejabberd === undefined ? {} : {ejabberd};
	}

	async updateInfo(signal?: AbortSignal): Promise<UpdateInfo> {
		const {value, raw, url} = await this.#call('update_list', {}, signal);
		return {modules: readModuleList(value, {url}), raw};
	}

	async update(modules: readonly string[], signal?: AbortSignal): Promise<UpdateOutcome> {
		// ejabberd_admin:update/1 turns any string into an atom, and takes `all` as every module: check all before sending one.
		for (const module of modules) {
			if (!isModuleName(module) || module === 'all') {
				throw new ReloaderError('ERR_MODULE_NAME', `Refusing to send \`${module}\` to mod_http_api update: not a module name it takes literally`, {
					hint: 'Rename the module; ejabberd reads `all` as every module and makes an atom of any other string.',
				});
			}
		}
		const answers: string[] = [];
		const said = new Map<string, 'updated' | 'notUpdated'>();
		for (const module of modules) {
			const {value, raw} = await this.#call('update', {module}, signal);
			answers.push(raw);
			// 23.01 answers "", 24.12 "Updated: M" or "Not updated: M".
			for (const [name, verdict] of readUpdateSaid(typeof value === 'string' ? value : '')) {
				said.set(name, verdict);
			}
		}
		return said.size === 0 ? {raw: answers.join('\n')} : {raw: answers.join('\n'), said};
	}

	async close(): Promise<void> {
		// Nothing to release: fetch's pooled keep-alive sockets neither keep the process alive nor outlive a few idle seconds.
	}

	#call(command: ApiCommand, args: Readonly<Record<string, string>>, signal?: AbortSignal): Promise<{value: unknown; raw: string; url: string}> {
		if (command === 'update_list' || command === 'update') {
			return this.#gate.run('ejabberd_update', `mod_http_api ${command}`, () => this.#callOnce(command, args, signal), signal);
		}
		return this.#callOnce(command, args, signal);
	}

	async #callOnce(command: ApiCommand, args: Readonly<Record<string, string>>, signal?: AbortSignal): Promise<{value: unknown; raw: string; url: string}> {
		const authorization = this.#credentials === undefined ? undefined : await this.#readAuthorization(this.#credentials);
		const request = buildApiRequest(this.#base, command, args, authorization);
		const answer = await postApi(request, {timeoutMs: this.#timeoutMs, signal});
		const value = interpretApiResponse({command, url: request.url, authenticated: authorization !== undefined}, answer);
		return {value, raw: answer.body, url: request.url};
	}

	#readAuthorization(credentials: Credentials): Promise<string> {
		this.#authorization ??= readPasswordFile(credentials.passwordFile).then(
			({password, warnings}) => {
				for (const warning of warnings) {
					this.#onWarning?.(warning);
				}
				return basicAuthorization(credentials.user, password);
			},
			(error: unknown) => {
				this.#authorization = undefined;
				throw error;
			},
		);
		return this.#authorization;
	}
}

/** Basic auth needs both halves; one without the other is a config mistake, not a reason to go unauthenticated. */
function resolveCredentials(user: string | undefined, passwordFile: string | undefined): Credentials | undefined {
	if (user === undefined && passwordFile === undefined) {
		return undefined;
	}
	if (user === undefined || passwordFile === undefined) {
		const [set, missing] = user === undefined ? ['http.passwordFile', 'http.user'] : ['http.user', 'http.passwordFile'];
		throw new ReloaderError('ERR_CONFIG_INVALID', `${set} is set but ${missing} is not: basic auth needs both`, {
			hint: 'Set http.user to an admin JID (admin@localhost) and http.passwordFile to the file with its password, or neither to rely on an ip rule.',
		});
	}
	if (user.includes(':')) {
		throw new ReloaderError('ERR_CONFIG_INVALID', `http.user: \`${user}\` contains \`:\`, which basic auth cannot carry`, {
			hint: 'Set http.user to a JID such as admin@localhost.',
		});
	}
	return {user, passwordFile};
}
