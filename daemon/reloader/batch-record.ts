import type {HeldProcess, NodeVersions, PurgeMode, TransportKind} from '../transports/transport.ts';

/**
 * What started a batch; `init`: modules the init step found stale beyond
 * update_info's directory (see findStaleModules); `reconnect` and `join`: a
 * cluster member that came back or joined, reconciled with the cluster;
 * `caughtUp`: modules a lagging member's disk now holds, on every member;
 * `compile`: beams the compile stage wrote from saved sources.
 */
export type Trigger = 'watch' | 'compile' | 'once' | 'api' | 'init' | 'reconnect' | 'join' | 'caughtUp';

export interface FailedModule {
	readonly module: string;
	readonly reason: string;
	/** What to do about it, when there is something to do. */
	readonly hint?: string;
	/** Failed because these processes held its old code past `purgeSoftTimeoutMs`. */
	readonly holders?: readonly HeldProcess[];
	/** In a cluster batch: the member it failed on (absent when it failed on every node, e.g. nothing was loaded anywhere). */
	readonly node?: string;
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
	/** Changed beams outside the directory update_info scans, which this transport cannot load (use dist): NOT loaded, so the batch is not ok. */
	readonly outOfReach: readonly string[];
	/** Held back by `purge: soft` because processes still run their old code; tried again later. */
	readonly heldBack: readonly string[];
}

/** Just the classes of a record (a batch's, or a member's part of one). */
export function classificationOf(classes: ModuleClassification): ModuleClassification {
	const {updated, unchanged, notLoaded, failed, deferred, outOfReach, heldBack} = classes;
	return {updated, unchanged, notLoaded, failed, deferred, outOfReach, heldBack};
}

export interface ModuleHolders {
	readonly module: string;
	/** The processes running the module's old code, described while they existed. */
	readonly processes: readonly HeldProcess[];
}

export interface BatchDurations {
	/** From the batch's first change to the start of its work (quiet window and queue). */
	readonly waitMs: number;
	readonly updateInfoMs: number;
	readonly updateMs: number;
	readonly verifyMs: number;
	readonly totalMs: number;
	/** In a cluster batch: how long the members' disks took to agree with the daemon's beams. */
	readonly syncMs?: number;
}

/** One reload, as logged, streamed and answered over HTTP. */
export interface BatchRecord extends ModuleClassification {
	readonly event: 'batch';
	readonly id: number;
	readonly trigger: Trigger;
	readonly node: string;
	readonly transport: TransportKind;
	/** The node's ejabberd and OTP releases as the last init step read them (a field absent when the transport cannot tell). */
	readonly versions: NodeVersions;
	/** Nothing failed and nothing was out of reach: every changed module runs its new code or needs no update. */
	readonly ok: boolean;
	/** The purge this batch used: the configured one, or `brutal` forced by an API request. */
	readonly purge: PurgeMode;
	/** Modules of this batch that an earlier batch held back (`purge: soft`): this is their retry. */
	readonly retried: readonly string[];
	/** What update_info listed before the update (every modified, loaded module of its directory). */
	readonly listed: readonly string[];
	/** For each held-back module, the processes holding it. */
	readonly holders: readonly ModuleHolders[];
	/** With `purge: brutal`: the processes that were running old code of an updated module, killed by the update (each also reported as a `killed` record). */
	readonly killed: readonly ModuleHolders[];
	/** How the update was checked: `content` compares MD5s on the node (`dist`), `list` asks update_info again. */
	readonly verifiedBy: 'content' | 'list' | 'none';
	/**
	 * What OTP calls unpurged: updated modules whose old code is still run by
	 * processes after the load, with those processes. The next reload of such
	 * a module kills them (brutal purge). Asked of the node after the load
	 * (`dist`); `null` when the transport cannot know (`ctl`, `http`).
	 */
	readonly unpurged: readonly ModuleHolders[] | null;
	/** What to do about what this batch could not do (out of reach, held back), when anything. */
	readonly hint?: string;
	/** The node's answers as Erlang terms or as printed, for post-mortems. */
	readonly raw: {readonly updateInfo: string; readonly update?: string};
	readonly durations: BatchDurations;
	/** Verified by content: the MD5 of the code the node runs now for each module of the batch (null: not loaded). */
	readonly running?: Readonly<Record<string, string | null>>;
	/** A cluster batch: each member's outcome, by node name (the top-level classes sum them up; `ok` only when every member runs the new code). */
	readonly nodes?: Readonly<Record<string, NodeOutcome>>;
}

/**
 * One member's part of a cluster batch. `done`: the batch ran there (its
 * classes say how it went); `lagging`: its disk never held the daemon's beam
 * within cluster.syncTimeoutMs, so nothing was loaded there; `unreachable`:
 * down before or during the batch (reconciled when it returns); `skipped`: a
 * rolling rollout stopped before it, or another member lagged (onLag: fail).
 */
export interface NodeOutcome extends ModuleClassification {
	readonly state: 'done' | 'lagging' | 'unreachable' | 'skipped';
	/** The batch ran there and everything of it runs the new code or needs none. */
	readonly ok: boolean;
	/** Why it is not `done`, when it is not. */
	readonly reason?: string;
	readonly versions: NodeVersions;
	/** The code MD5 the member runs now for each module of the batch (null: not loaded); what it ran when it became unreachable is unknown (absent). */
	readonly running: Readonly<Record<string, string | null>>;
	/** The code MD5 of the beam on the member's own disk, as last asked (null: none readable there). */
	readonly disk: Readonly<Record<string, string | null>>;
	readonly killed: readonly ModuleHolders[];
	readonly unpurged: readonly ModuleHolders[] | null;
	readonly raw?: {readonly updateInfo: string; readonly update?: string};
	readonly durations?: BatchDurations;
}

/**
 * A process killed by a brutal purge: ejabberd logs nothing, so the daemon
 * says it on a warning line of its own, naming each process.
 */
export interface KilledRecord {
	readonly event: 'killed';
	/** The batch whose update killed them. */
	readonly batch: number;
	readonly node: string;
	readonly module: string;
	readonly processes: readonly HeldProcess[];
	readonly hint: string;
}
