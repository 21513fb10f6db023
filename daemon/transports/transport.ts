import type {TransportCapabilities} from './capabilities.ts';
import type {NodeCompileRequest, NodeCompileResult} from './node-compile.ts';

/**
 * What the reloader needs from a node, whatever the wire: `ctl` runs
 * ejabberdctl, `dist` speaks Erlang distribution itself, `http` goes through
 * ejabberd's mod_http_api. Failures throw ReloaderError: `ERR_NODE_DOWN` and
 * `ERR_NODE_TIMEOUT` are retryable, the rest are not.
 *
 * Every method exists on every transport; `capabilities` says which of them
 * work there. Callers pick what to call from the capabilities, never by
 * probing: a method whose capability is false throws ERR_CONFIG_INVALID
 * (startup refuses the options that would need it, so reaching it is a bug),
 * except incarnation() and onDisconnect(), which then report nothing.
 */
export interface Transport {
	readonly kind: TransportKind;
	/** The node as the user knows it, for logs and records. */
	readonly node: string;
	/** What this transport can do, declared once (frozen). */
	readonly capabilities: TransportCapabilities;
	/** Make sure `ejabberd_update` is loaded on the node (it is not after start). */
	ensureUpdaterLoaded(signal?: AbortSignal): Promise<InitReport>;
	/** `ejabberd_update:update_info/0`: the loaded modules whose beam on disk differs. */
	updateInfo(signal?: AbortSignal): Promise<UpdateInfo>;
	/** `ejabberd_update:update/1` for exactly these modules (each already listed by updateInfo); `result` set with `capabilities.updateResult`. */
	update(modules: readonly string[], signal?: AbortSignal): Promise<UpdateOutcome>;
	/** `capabilities.verifyByContent`: what the node itself says of each module (loaded or not, the MD5 of the loaded code and of the beam file). */
	moduleStates(modules: readonly ModuleLocation[], signal?: AbortSignal): Promise<ReadonlyMap<string, ModuleState>>;
	/** `capabilities.codeDirectory`: the directory update_info scans, `dirname(code:which(ejabberd))`, for `watch: auto`. */
	codeDirectory(signal?: AbortSignal): Promise<string>;
	/** `capabilities.codeDirectory`: where the node's code is, beyond update_info's directory (contrib modules, dependencies), for `watch: auto`. */
	codeLocations(signal?: AbortSignal): Promise<CodeLocations>;
	/** `capabilities.incarnation`: the node's incarnation (its `creation`), which changes when it restarts; always undefined without the capability. */
	incarnation(): number | undefined;
	/** `capabilities.incarnation`: be told at once when a held connection to the node is lost; never called without the capability. */
	onDisconnect(listener: (reason: string) => void): void;
	/**
	 * `capabilities.loadBeam`: load one beam directly, for modules update_info
	 * cannot see (in another directory) or has never loaded: purge its old code
	 * (`soft` refuses when processes still run it, `brutal` kills them), then
	 * load that file. Resolves with the reason when the node refused.
	 */
	loadBeam(location: ModuleLocation, purge: PurgeMode, signal?: AbortSignal): Promise<string | undefined>;
	/** `capabilities.oldCodeHolders`: the processes still running old code of each module, which a brutal purge would kill, each described while it still exists. */
	oldCodeHolders(modules: readonly string[], signal?: AbortSignal): Promise<ReadonlyMap<string, readonly HeldProcess[]>>;
	/**
	 * `capabilities.compileModule`: compile one module with the node's own
	 * compiler (`compile:file`, in memory), its include directories and
	 * libraries found where the node has them. A module that does not compile
	 * is a result without a beam, not an error.
	 */
	compileModule(request: NodeCompileRequest, signal?: AbortSignal): Promise<NodeCompileResult>;
	close(): Promise<void>;
}

export type TransportKind = 'ctl' | 'dist' | 'http';

export interface InitReport {
	/** How the module was made sure of, e.g. `update_list` or `code:ensure_loaded`. */
	readonly method: string;
	/** Whether it was loaded before we asked, when the transport can tell. */
	readonly wasLoaded: boolean | undefined;
	/** What the node runs, as far as the transport can tell (best effort: never fails the init step). */
	readonly versions?: NodeVersions;
}

/** The node's ejabberd and Erlang/OTP releases; a field is absent when the transport cannot tell. */
export interface NodeVersions {
	/** ejabberd's application version as the node has it, e.g. `23.01-1` (Debian) or `24.12`. */
	readonly ejabberd?: string;
	/** `erlang:system_info(otp_release)`, e.g. `25` (dist only). */
	readonly otp?: string;
}

/** A process on the node, described while it still exists (a killed one cannot be asked afterwards). */
export interface HeldProcess {
	/** As the daemon prints pids, e.g. `<'ejabberd@localhost'.123.0>`. */
	readonly pid: string;
	/** Its registered name, if any. */
	readonly name?: string;
	/** `M:F/A` it was started in (proc_lib's real one for proc_lib processes). */
	readonly initialCall?: string;
	/** `M:F/A` it was running when asked. */
	readonly currentFunction?: string;
}

export type PurgeMode = 'soft' | 'brutal';

export interface UpdateInfo {
	readonly modules: readonly string[];
	/** The one directory update_info scans, when the transport can tell (`dist`). */
	readonly dir?: string;
	/** The transport's raw answer (Erlang syntax for `dist`), kept for the batch record. */
	readonly raw: string;
}

/**
 * What `update/1` returned, when the transport can see it (`dist`). `ok` comes
 * in two shapes: 23.01 answers release_handler's `{ok, [{Mod, PurgeMethod}]}`
 * (`unpurged`), 24.10 and later `{ok, [Mod]}` (`updated`, ejabberd's commit
 * "Fix 'update' command output"). `{ok, []}` is either (`unpurged: []`); a
 * list of anything else sets neither: the raw answer is kept and verification
 * decides.
 */
export type UpdateResult =
	| {readonly kind: 'ok'; readonly unpurged?: readonly string[]; readonly updated?: readonly string[]}
	| {readonly kind: 'error'; readonly reason: string}
	| {readonly kind: 'exit'; readonly reason: string};

export interface UpdateOutcome {
	readonly raw: string;
	readonly result?: UpdateResult;
	/** What ejabberdctl or mod_http_api said of each module (24.12 says `Updated: M` / `Not updated: M`; 23.01 nothing): unset when nothing was said. */
	readonly said?: ReadonlyMap<string, 'updated' | 'notUpdated'>;
}

/** Where the node's code is, every path as this host sees it (through `paths`). */
export interface CodeLocations {
	/** The directory update_info scans, `dirname(code:which(ejabberd))`. */
	readonly ejabberd: string;
	/** The node's contrib modules directory (`ext_mod:modules_dir()`, `CONTRIB_MODULES_PATH`), when it can tell. */
	readonly contrib: string | undefined;
	/** Every directory on the node's code path (`code:get_path()`) that holds a loaded module, in code path order. */
	readonly loaded: readonly string[];
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
