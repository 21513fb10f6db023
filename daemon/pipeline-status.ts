import type {MemberStatus} from './reloader/batch-reloader.ts';
import type {CompileStatus} from './sources/source-compiler.ts';
import type {NodeVersions} from './transports/transport.ts';

/** The pipeline's state as the daemon's `status()` gives it (the service adds the last reconfiguration): what /status and /healthz show. */
export interface PipelineStatus {
	readonly node: string;
	readonly transport: string;
	readonly connected: boolean;
	/** The node's ejabberd and OTP releases as the last init step read them (a field absent when the transport cannot tell). */
	readonly versions?: NodeVersions | undefined;
	/** A cluster: every member, connected or not, with what it lags behind in. */
	readonly members?: readonly MemberStatus[] | undefined;
	readonly directories: readonly string[];
	readonly unsettledBeams: number;
	/** How long the beam waited on longest has been unsettled, in ms; undefined when none is. */
	readonly oldestUnsettledMs?: number | undefined;
	/**
	 * Beams unsettled for longer than incompleteTimeoutMs: a read that cannot
	 * finish, or descriptors exhausted (retried until read). /healthz is
	 * unhealthy while there is any.
	 */
	readonly stuckBeams?: readonly StuckBeam[] | undefined;
	/** How many pieces of work the ledger owes the node (the entries of `owed`). */
	readonly pendingChanges: number;
	/** What the daemon still owes the node, oldest first: each module (or `*`, every module of a member), why, for how long, and when it falls due. */
	readonly owed?: readonly OwedStatus[] | undefined;
	readonly queuedBatches: number;
	readonly runningBatches: number;
	/** Save to live (with `sources`): the source directories, saves not compiled yet, and the last round with its diagnostics. */
	readonly compile?: CompileStatus | undefined;
	/** The last reconfiguration (SIGHUP), if there was one. */
	readonly lastReconfigure?: ReconfigureState | undefined;
}

/** One piece of owed work, as /status shows it. */
export interface OwedStatus {
	readonly module: string;
	/** Why it is owed: watch, compile, api, retry, softPurge, catchUp, reconnect, join, lag. */
	readonly reason: string;
	readonly owedForMs: number;
	/** In how many ms it falls due; `window`: when the quiet window closes; `read`: once its beam is read again. */
	readonly due: number | 'window' | 'read';
	/** In a cluster: only these members. */
	readonly nodes?: readonly string[];
}

/** A beam the settle step has waited on past its deadline. */
export interface StuckBeam {
	readonly path: string;
	readonly unsettledMs: number;
}

/** What became of the last new configuration (SIGHUP): applied, or refused with every reason (the running one kept). */
export interface ReconfigureState {
	readonly outcome: 'applied' | 'refused';
	/** ISO 8601. */
	readonly at: string;
	readonly reasons: readonly string[];
}
