/**
 * What the reloader needs from a node, whatever the wire. `ctl` runs
 * ejabberdctl; the next transports (native distribution, ejabberd's HTTP API)
 * implement the same contract. Failures throw ReloaderError: `ERR_NODE_DOWN`
 * and `ERR_NODE_TIMEOUT` are retryable, the rest are not.
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
	close(): Promise<void>;
}

export type TransportKind = 'ctl';

export interface InitReport {
	/** How the module was made sure of, e.g. `update_list` or `code:ensure_loaded`. */
	readonly method: string;
	/** Whether it was loaded before we asked, when the transport can tell. */
	readonly wasLoaded: boolean | undefined;
}

export interface UpdateInfo {
	readonly modules: readonly string[];
	/** The transport's raw answer, kept for the batch record. */
	readonly raw: string;
}

export interface UpdateOutcome {
	readonly raw: string;
}
