import type {TransportKind} from '../transports/transport.ts';

/** What started a batch; `init`: modules the init step found stale beyond update_info's directory (see findStaleModules). */
export type Trigger = 'watch' | 'once' | 'api' | 'init';

export interface FailedModule {
	readonly module: string;
	readonly reason: string;
}

export interface ModuleClassification {
	/** The node now runs the code of the beam on disk. */
	readonly updated: readonly string[];
	/** The beam holds the same code as before: an identical rebuild. */
	readonly unchanged: readonly string[];
	/** Not loaded in the node; it will load the new beam on first use. */
	readonly notLoaded: readonly string[];
	readonly failed: readonly FailedModule[];
	/** Beams being rewritten right now: handed back to the watcher, they come again once complete. */
	readonly deferred: readonly string[];
	/** Changed beams outside the directory update_info scans, which this transport cannot load (use dist). */
	readonly outOfReach: readonly string[];
	/** Held back by `purge: soft` because processes still run their old code; tried again later. */
	readonly heldBack: readonly string[];
}

export interface ModuleHolders {
	readonly module: string;
	/** The processes (pids) running the module's old code. */
	readonly processes: readonly string[];
}

export interface BatchDurations {
	/** From the batch's first change to the start of its work (quiet window and queue). */
	readonly waitMs: number;
	readonly updateInfoMs: number;
	readonly updateMs: number;
	readonly verifyMs: number;
	readonly totalMs: number;
}

/** One reload, as logged, streamed and answered over HTTP. */
export interface BatchRecord extends ModuleClassification {
	readonly event: 'batch';
	readonly id: number;
	readonly trigger: Trigger;
	readonly node: string;
	readonly transport: TransportKind;
	readonly ok: boolean;
	/** What update_info listed before the update (every modified, loaded module of its directory). */
	readonly listed: readonly string[];
	/** For each held-back module, the processes holding it. */
	readonly holders: readonly ModuleHolders[];
	/** With `purge: brutal`: the processes that were running old code of an updated module, killed by the update. */
	readonly killed: readonly ModuleHolders[];
	/** How the update was checked: `content` compares MD5s on the node (`dist`), `list` asks update_info again. */
	readonly verifiedBy: 'content' | 'list' | 'none';
	/** Modules whose old code could not be purged (`{ok, Unpurged}`), when the transport can tell. */
	readonly unpurged: readonly string[];
	/** The node's answers as Erlang terms or as printed, for post-mortems. */
	readonly raw: {readonly updateInfo: string; readonly update?: string};
	readonly durations: BatchDurations;
}
