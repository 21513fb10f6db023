import type {NodeVersions} from '../transports/transport.ts';
import type {BatchRecord} from './batch-record.ts';
import type {ReloadRequest} from './reloader.ts';

/**
 * What the daemon's queue runs each batch through: the Reloader for one node
 * (`kind: 'node'`), or a cluster's reloader for every member (`'cluster'`).
 * Every method exists on both; `kind` says what they can do, so the daemon
 * never probes for a method.
 */
export interface BatchReloader {
	readonly kind: 'node' | 'cluster';
	reload(request: ReloadRequest, signal?: AbortSignal): Promise<BatchRecord>;
	/** The node's releases as the last init step read them (a cluster: the configured node's). */
	readonly versions: NodeVersions;
	/** The init step read the node's releases: later records carry them. */
	noteVersions(versions: NodeVersions | undefined): void;
	/** Each member's state, for /status and /healthz (one node: none). */
	members(): readonly MemberStatus[];
	/** The members a request names, checked against the membership: throws ERR_NODE_UNKNOWN naming the known ones (one node: always, since it has no members to name). */
	checkNodes(nodes: readonly string[]): void;
	/** Begin background work (a cluster: following the membership, trying absent members again). */
	start(): void;
	close(): Promise<void>;
}

/** One cluster member, as /status shows it. */
export interface MemberStatus {
	readonly node: string;
	readonly connected: boolean;
	readonly versions: NodeVersions;
	/** Why it is not connected, when it is not. */
	readonly reason?: string;
	/** The last batch that ran on it, and whether it was ok there. */
	readonly lastBatch?: {readonly id: number; readonly state: string; readonly ok: boolean};
	/** Modules whose new code it does not run yet (its disk lagged, it was unreachable or skipped): reconciled when it can be. */
	readonly lagging: readonly string[];
}
