import {dirname} from 'node:path';
import {ReloaderError} from '../../errors.ts';
import {atom, formatTerm, isAtom, isTuple, type Term} from '../../lib/erlang-term/index.ts';
import type {CodeLocations, HeldProcess, InitReport, ModuleLocation, ModuleState, PurgeMode, Transport, UpdateInfo, UpdateOutcome} from '../transport.ts';
import type {NodeCompileRequest, NodeCompileResult} from '../node-compile.ts';
import {DistClient, type DistEvent, type DistTlsOptions} from '../../lib/erlang-dist/index.ts';
import {CallGate, type SlowCall} from '../call-gate.ts';
import {DIST_CAPABILITIES} from '../capabilities.ts';
import {IDENTITY_PATH_MAP, normalizeDirectory, type PathMap} from '../path-map.ts';
import {toReloaderError} from './adapt-error.ts';
import {compileOnNode} from './compile-on-node.ts';
import {findOldCodeHolders, loadBeamFile, readNodeVersions, type RemoteCall} from './code-operations.ts';
import {readCookie} from './cookie.ts';
import {readTlsFiles, type DistTlsFiles} from './tls-files.ts';
import {RELOADER_ALLOW_LIST} from './reloader-allow-list.ts';
import {readLoadedDirectories} from './read-code-path.ts';
import {SCAN_LANE, countBeams, describeSlowCall} from './slow-calls.ts';
import {isLoadedAnswer, readBeamLibMd5, readCharlist, readMd5, readRpcFailure, readUpdateInfo, readUpdateResult} from './read-results.ts';

/** Modules whose state is asked at once (two calls each in flight). */
export const STATE_CONCURRENCY = 16;

export interface DistTransportOptions {
	readonly node: string;
	readonly cookieFile: string;
	readonly port?: number | undefined;
	/** TLS distribution (config `dist.tls`): the files are read on every connect, so renewed certificates are picked up. Default: plain TCP. */
	readonly tls?: DistTlsFiles | undefined;
	readonly connectTimeoutMs: number;
	readonly callTimeoutMs: number;
	/** How long a slow update_info/update is waited for while the node answers a liveness check (see CallGate). Default: 600000. */
	readonly slowCallLimitMs?: number | undefined;
	/** Packets the node may send, at most; default: the client's (16 MiB). */
	readonly maxFrameBytes?: number | undefined;
	/** Warnings worth a log line: a cookie file readable by others, a slow scan (WARN_NODE_SLOW), a message from the node that did not decode (WARN_DIST_MESSAGE). */
	readonly onWarning?: (message: string, code?: 'WARN_NODE_SLOW' | 'WARN_DIST_MESSAGE') => void;
	/** Where the node sees the daemon's directories (config `paths`); default: the same paths. */
	readonly paths?: PathMap;
}

/**
 * The node over Erlang distribution: one persistent hidden connection, each
 * step a direct rpc (a fraction of a millisecond of transport cost), and the
 * real result tuples back, so verification is by content.
 */
export class DistTransport implements Transport {
	readonly kind = 'dist';
	readonly capabilities = DIST_CAPABILITIES;
	readonly node: string;
	readonly #client: DistClient;
	readonly #disconnectListeners = new Set<(reason: string) => void>();
	/** Every path sent to the node goes through toNode, every path it sends back through toLocal. */
	readonly #paths: PathMap;
	/** One ejabberd_update scan at a time; slow is not down (see CallGate). */
	readonly #gate: CallGate;
	readonly #slowCallLimitMs: number;
	/** update_info's directory as last seen, for the size named in a slow-scan warning. */
	#scanDirectory: string | undefined;

	constructor(options: DistTransportOptions) {
		this.node = options.node;
		this.#paths = options.paths ?? IDENTITY_PATH_MAP;
		this.#slowCallLimitMs = options.slowCallLimitMs ?? 600_000;
		this.#gate = new CallGate({
			node: options.node,
			callTimeoutMs: options.callTimeoutMs,
			slowCallLimitMs: this.#slowCallLimitMs,
			probe: async timeoutMs => {
				await this.#client.call('erlang', 'node', [], {timeoutMs});
			},
			onSlow: slow => void this.#warnSlow(slow, options.onWarning),
		});
		try {
			this.#client = new DistClient({
				node: options.node,
				cookie: async () => {
					const {cookie, warnings} = await readCookie(options.cookieFile);
					for (const message of warnings) {
						options.onWarning?.(message);
					}
					return cookie;
				},
				cookieSource: `the cookie in ${options.cookieFile}`,
				tls: tlsReader(options.tls, options.onWarning),
				port: options.port,
				connectTimeoutMs: options.connectTimeoutMs,
				callTimeoutMs: options.callTimeoutMs,
				maxFrameBytes: options.maxFrameBytes,
				allow: RELOADER_ALLOW_LIST,
				onEvent: event => this.#onEvent(event, options.onWarning),
			});
		} catch (error) {
			throw toReloaderError(error);
		}
	}

	onDisconnect(listener: (reason: string) => void): void {
		this.#disconnectListeners.add(listener);
	}

	#onEvent(event: DistEvent, onWarning: DistTransportOptions['onWarning']): void {
		if (event.type === 'warning') {
			onWarning?.(event.message, 'WARN_DIST_MESSAGE');
		} else if (event.type === 'disconnected') {
			for (const listener of this.#disconnectListeners) {
				listener(event.reason);
			}
		}
	}

	/** The node's incarnation as seen at the last handshake; it changes when ejabberd restarts. */
	incarnation(): number | undefined {
		return this.#client.peerCreation;
	}

	async ensureUpdaterLoaded(signal?: AbortSignal): Promise<InitReport> {
		const wasLoaded = isLoadedAnswer(await this.#call('code', 'is_loaded', [atom('ejabberd_update')], signal));
		const ensured = await this.#call('code', 'ensure_loaded', [atom('ejabberd_update')], signal);
		if (isTuple(ensured, 2) && isAtom(ensured.elements[0], 'module')) {
			return {method: 'code:ensure_loaded', wasLoaded, versions: await readNodeVersions(this.#remote, signal)};
		}
		// An embedded-mode node loads nothing on demand: load the file explicitly.
		const loaded = await this.#call('code', 'load_file', [atom('ejabberd_update')], signal);
		if (isTuple(loaded, 2) && isAtom(loaded.elements[0], 'module')) {
			return {method: 'code:load_file (embedded code mode)', wasLoaded, versions: await readNodeVersions(this.#remote, signal)};
		}
		throw new ReloaderError('ERR_UPDATER_INIT', `Could not load ejabberd_update on ${this.node}: code:ensure_loaded gave ${formatTerm(ensured, 200)}, code:load_file gave ${formatTerm(loaded, 200)}`, {
			hint: 'Check that ejabberd_update.beam is in the node\'s ebin and readable by the node.',
		});
	}

	async updateInfo(signal?: AbortSignal): Promise<UpdateInfo> {
		const term = await this.#scan('update_info', [], signal);
		const {modules, dir} = readUpdateInfo(term);
		const local = dir === '' ? dir : this.#paths.toLocal(dir);
		this.#scanDirectory = local === '' ? this.#scanDirectory : local;
		return {modules, dir: local, raw: formatTerm(term, 4000)};
	}

	loadBeam(location: ModuleLocation, purge: PurgeMode, signal?: AbortSignal): Promise<string | undefined> {
		return loadBeamFile(this.#remote, {module: location.module, path: this.#paths.toNode(location.path)}, purge, signal);
	}

	oldCodeHolders(modules: readonly string[], signal?: AbortSignal): Promise<ReadonlyMap<string, readonly HeldProcess[]>> {
		return findOldCodeHolders(this.#remote, modules, signal);
	}

	/** Paths go to the node through `paths`, and the diagnostics' files come back through it. */
	compileModule(request: NodeCompileRequest, signal?: AbortSignal): Promise<NodeCompileResult> {
		return compileOnNode(this.#remote, this.#paths, request, signal);
	}

	readonly #remote: RemoteCall = (module, fn, args, signal, timeoutMs) => this.#call(module, fn, args, signal, timeoutMs);

	async update(modules: readonly string[], signal?: AbortSignal): Promise<UpdateOutcome> {
		const term = await this.#scan('update', [modules.map(module => atom(module))], signal);
		return {raw: formatTerm(term, 4000), result: readUpdateResult(term)};
	}

	async moduleStates(modules: readonly ModuleLocation[], signal?: AbortSignal): Promise<ReadonlyMap<string, ModuleState>> {
		const states = new Map<string, ModuleState>();
		// Bounded, so a burst of hundreds of modules keeps a few dozen calls in flight, not a thousand.
		for (let start = 0; start < modules.length; start += STATE_CONCURRENCY) {
			const chunk = modules.slice(start, start + STATE_CONCURRENCY);
			for (const [module, state] of await Promise.all(chunk.map(async location => [location.module, await this.#moduleState(location, signal)] as const))) {
				states.set(module, state);
			}
		}
		return states;
	}

	async #moduleState({module, path}: ModuleLocation, signal?: AbortSignal): Promise<ModuleState> {
		const [loadedAnswer, diskAnswer] = await Promise.all([
			this.#call('code', 'is_loaded', [atom(module)], signal),
			// The file as the node sees it now; verification itself compares the loaded code with the daemon's own read of the beam.
			this.#call('beam_lib', 'md5', [this.#paths.toNode(path)], signal),
		]);
		const diskMd5 = readBeamLibMd5(diskAnswer);
		if (!isLoadedAnswer(loadedAnswer)) {
			return {loaded: false, diskMd5};
		}
		const loadedMd5 = readMd5(await this.#call('erlang', 'get_module_info', [atom(module), atom('md5')], signal));
		return {loaded: true, loadedMd5, diskMd5};
	}

	/** `ejabberd_cluster:get_nodes/0`: the running members of the node's ejabberd cluster, itself included. */
	async clusterNodes(signal?: AbortSignal): Promise<string[]> {
		const term = await this.#call('ejabberd_cluster', 'get_nodes', [], signal);
		const nodes = Array.isArray(term) ? term.flatMap(node => isAtom(node) ? [node.name] : []) : [];
		if (!Array.isArray(term) || nodes.length !== term.length) {
			throw new ReloaderError('ERR_NODE_COMMAND', `ejabberd_cluster:get_nodes() on ${this.node} gave ${formatTerm(term, 200)}, not a list of nodes`, {
				hint: 'Is this node an ejabberd node? Otherwise list the members in `cluster.nodes` instead of `auto`.',
			});
		}
		return nodes;
	}

	async codeDirectory(signal?: AbortSignal): Promise<string> {
		const term = await this.#call('code', 'which', [atom('ejabberd')], signal);
		const path = readCharlist(term);
		if (path === undefined || !path.startsWith('/')) {
			throw new ReloaderError('ERR_NODE_COMMAND', `code:which(ejabberd) on ${this.node} gave ${formatTerm(term, 200)}, not a path`, {
				hint: 'Set `watch` to ejabberd\'s ebin directory explicitly.',
			});
		}
		return this.#paths.toLocal(dirname(path));
	}

	async codeLocations(signal?: AbortSignal): Promise<CodeLocations> {
		const [ejabberd, codePath, loaded, contrib] = await Promise.all([
			this.codeDirectory(signal),
			this.#call('code', 'get_path', [], signal),
			this.#call('code', 'all_loaded', [], signal),
			this.#contribDirectory(signal),
		]);
		const nodeDirectories = readLoadedDirectories(codePath, loaded);
		return {ejabberd, contrib, loaded: nodeDirectories.map(directory => this.#paths.toLocal(directory))};
	}

	/** ext_mod:modules_dir() (CONTRIB_MODULES_PATH, or ~/.ejabberd-modules); undefined when the node cannot say. */
	async #contribDirectory(signal?: AbortSignal): Promise<string | undefined> {
		let term: Term;
		try {
			term = await this.#call('ext_mod', 'modules_dir', [], signal);
		} catch (error) {
			if (error instanceof ReloaderError && error.retryable) {
				throw error;
			}
			return undefined;
		}
		const path = readCharlist(term) ?? (Buffer.isBuffer(term) ? term.toString('utf8') : undefined);
		return path?.startsWith('/') === true ? this.#paths.toLocal(normalizeDirectory(path)) : undefined;
	}

	close(): Promise<void> {
		return this.#client.close();
	}

	/** The slow-scan warning names the ebin and its size: update_info's directory, or until one was seen, code:which(ejabberd)'s. */
	async #warnSlow(slow: SlowCall, onWarning: DistTransportOptions['onWarning']): Promise<void> {
		const directory = this.#scanDirectory ?? await this.codeDirectory().catch(() => undefined);
		onWarning?.(describeSlowCall(this.node, slow, directory, await countBeams(directory)), 'WARN_NODE_SLOW');
	}

	/**
	 * ejabberd_update:update_info/0 and update/1 through the gate: one at a
	 * time, and not given up on while the node answers. The rpc itself is not
	 * tied to `signal` (the node goes on anyway); its own timeout is only a
	 * backstop past the gate's limit.
	 */
	#scan(fn: 'update_info' | 'update', args: readonly Term[], signal?: AbortSignal): Promise<Term> {
		const backstopMs = 2 * Math.max(this.#slowCallLimitMs, this.#gate.expectedMs(SCAN_LANE));
		return this.#gate.run(SCAN_LANE, `ejabberd_update:${fn}/${args.length}`, () => this.#call('ejabberd_update', fn, args, undefined, backstopMs), signal);
	}

	async #call(module: string, fn: string, args: readonly Term[], signal?: AbortSignal, timeoutMs?: number): Promise<Term> {
		let result: Term;
		try {
			result = await this.#client.call(module, fn, args, {signal, timeoutMs});
		} catch (error) {
			throw toReloaderError(error);
		}
		const failure = readRpcFailure(result);
		if (failure !== undefined && !(module === 'ejabberd_update' && fn === 'update')) {
			throw new ReloaderError('ERR_NODE_COMMAND', `${module}:${fn}/${args.length} failed on ${this.node}: ${failure}`, {
				hint: 'See ejabberd.log on the node.',
			});
		}
		return result;
	}
}

/** Reads dist.tls's files for each connect; their errors are ReloaderErrors that name the option and the file. */
function tlsReader(files: DistTlsFiles | undefined, onWarning: DistTransportOptions['onWarning']): (() => Promise<DistTlsOptions>) | undefined {
	return files === undefined ? undefined : async () => {
		const {tls, warnings} = await readTlsFiles(files);
		for (const message of warnings) {
			onWarning?.(message);
		}
		return tls;
	};
}
