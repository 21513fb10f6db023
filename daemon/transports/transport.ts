/**
 * What the reloader needs from a node, whatever the wire: `ctl` runs
 * ejabberdctl, `dist` speaks Erlang distribution itself, `http` goes through
 * ejabberd's mod_http_api. Failures throw ReloaderError: `ERR_NODE_DOWN` and
 * `ERR_NODE_TIMEOUT` are retryable, the rest are not.
 */
export interface Transport {
	readonly kind: TransportKind;
	/** The node as the user knows it, for logs and records. */
	readonly node: string;
	/** Make sure `ejabberd_update` is loaded on the node (it is not after start). */
	ensureUpdaterLoaded(signal?: AbortSignal): Promise<InitReport>;
	/** `ejabberd_update:update_info/0`: the loaded modules whose beam on disk differs. */
	updateInfo(signal?: AbortSignal): Promise<UpdateInfo>;
	/** `ejabberd_update:update/1` for exactly these modules (each already listed by updateInfo). */
	update(modules: readonly string[], signal?: AbortSignal): Promise<UpdateOutcome>;
	/**
	 * Optional: what the node itself says of each module (loaded or not, the MD5
	 * of the loaded code and of the beam file). Transports that can ask verify
	 * by content; the others verify through a second updateInfo.
	 */
	moduleStates?(modules: readonly ModuleLocation[], signal?: AbortSignal): Promise<ReadonlyMap<string, ModuleState>>;
	/** Optional: the directory update_info scans, `dirname(code:which(ejabberd))`, for `watch: auto`. */
	codeDirectory?(signal?: AbortSignal): Promise<string>;
	/** Optional: the node's incarnation (its `creation`), which changes when it restarts. */
	incarnation?(): number | undefined;
	/** Optional: be told at once when a held connection to the node is lost. */
	onDisconnect?(listener: (reason: string) => void): void;
	/**
	 * Optional: load one beam directly, for modules update_info cannot see (in
	 * another directory) or has never loaded: purge its old code (`soft` refuses
	 * when processes still run it, `brutal` kills them), then load that file.
	 * Resolves with the reason when the node refused.
	 */
	loadBeam?(location: ModuleLocation, purge: PurgeMode, signal?: AbortSignal): Promise<string | undefined>;
	/** Optional: the processes still running old code of each module, which a brutal purge would kill. */
	oldCodeHolders?(modules: readonly string[], signal?: AbortSignal): Promise<ReadonlyMap<string, readonly string[]>>;
	close(): Promise<void>;
}

export type TransportKind = 'ctl' | 'dist' | 'http';

export interface InitReport {
	/** How the module was made sure of, e.g. `update_list` or `code:ensure_loaded`. */
	readonly method: string;
	/** Whether it was loaded before we asked, when the transport can tell. */
	readonly wasLoaded: boolean | undefined;
}

export type PurgeMode = 'soft' | 'brutal';

export interface UpdateInfo {
	readonly modules: readonly string[];
	/** The one directory update_info scans, when the transport can tell (`dist`). */
	readonly dir?: string;
	/** The transport's raw answer (Erlang syntax for `dist`), kept for the batch record. */
	readonly raw: string;
}

/** What `update/1` returned, when the transport can see it (`dist`); ejabberdctl and the HTTP API print nothing useful. */
export type UpdateResult =
	| {readonly kind: 'ok'; readonly unpurged: readonly string[]}
	| {readonly kind: 'error'; readonly reason: string}
	| {readonly kind: 'exit'; readonly reason: string};

export interface UpdateOutcome {
	readonly raw: string;
	readonly result?: UpdateResult;
}

export interface ModuleLocation {
	readonly module: string;
	/** The beam's path as the node sees it. */
	readonly path: string;
}

export interface ModuleState {
	readonly loaded: boolean;
	/** Lowercase hex MD5 of the loaded code (`M:module_info(md5)`), when loaded. */
	readonly loadedMd5?: string;
	/** Lowercase hex MD5 of the beam file (`beam_lib:md5/1`), when readable. */
	readonly diskMd5?: string;
}
