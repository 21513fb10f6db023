import {errorMessage} from '../errors.ts';
import type {InitRecord} from '../records.ts';
import {NodeSession} from '../node/node-session.ts';
import type {ModuleLocation, ModuleState, NodeVersions, Transport} from '../transports/transport.ts';
import type {MemberStatus} from '../reloader/batch-reloader.ts';
import type {MemberPathMap} from './member-path-map.ts';

/** A member's connection: a transport that can also list the cluster's members. */
export interface MemberTransport extends Transport {
	/** The running members as this node lists them (`ejabberd_cluster:get_nodes/0`). */
	clusterNodes(signal?: AbortSignal): Promise<readonly string[]>;
}

export interface ClusterMemberOptions {
	readonly transport: MemberTransport;
	/** The transport's path map: learns the member's own ebin at each (re)connect. */
	readonly paths: MemberPathMap;
	/** The daemon's update_info directory (its watched ejabberd ebin), which the member's own stands for. */
	readonly reach: (signal?: AbortSignal) => Promise<string | undefined>;
	readonly onInit: (record: InitRecord) => void;
}

/**
 * One node of the cluster: its own connection, its own init step (run at
 * start and after each reconnect, like a single node's), and what it lags
 * behind in. The daemon's queue runs one batch at a time, so nothing here
 * is touched by two batches at once.
 */
export class ClusterMember {
	readonly node: string;
	readonly transport: MemberTransport;
	readonly #paths: MemberPathMap;
	readonly #reach: ClusterMemberOptions['reach'];
	readonly #session: NodeSession;
	#connected = false;
	#reason: string | undefined;
	/** What the last failed ready() threw, until one succeeds. */
	#lastError: unknown;
	#versions: NodeVersions = {};
	/** Modules whose new code it does not run yet: what a reconcile must look at besides update_info's list. */
	readonly #lagging = new Set<string>();
	/** Of those, the ones its own disk lacked the daemon's beam of (what the disk had), when last asked: loaded everywhere once the disk catches up. */
	readonly #diskLag = new Map<string, string | null>();
	#lastBatch: MemberStatus['lastBatch'];

	constructor(options: ClusterMemberOptions) {
		this.node = options.transport.node;
		this.transport = options.transport;
		this.#paths = options.paths;
		this.#reach = options.reach;
		this.#session = new NodeSession(options.transport, record => {
			this.#versions = record.versions;
			options.onInit(record);
		});
	}

	get connected(): boolean {
		return this.#connected;
	}

	get versions(): NodeVersions {
		return this.#versions;
	}

	/** What the last failed ready() threw (undefined once one succeeds): a wrong cookie is no outage. */
	get lastError(): unknown {
		return this.#lastError;
	}

	get lagging(): readonly string[] {
		return [...this.#lagging].sort();
	}

	/**
	 * Connect and run the init step unless done against this incarnation. The
	 * member's update_info directory is learned first: its ebin may be
	 * elsewhere than the daemon's.
	 */
	async ready(signal?: AbortSignal): Promise<void> {
		try {
			if (!this.#connected || !this.#session.initialised) {
				const local = await this.#reach(signal);
				if (local !== undefined) {
					this.#paths.learnEbin(local, await this.#nodeEbin(signal));
				}
			}
			await this.#session.ready(signal);
			this.#connected = true;
			this.#reason = undefined;
			this.#lastError = undefined;
		} catch (error) {
			this.markDown(errorMessage(error));
			this.#lastError = error;
			throw error;
		}
	}

	/** Found unreachable: the next ready() re-runs the init step. */
	markDown(reason: string): void {
		this.#connected = false;
		this.#reason = reason;
		this.#session.markDown();
	}

	/** What the member says of each module: its loaded code's MD5 and its own disk's. */
	async states(locations: readonly ModuleLocation[], signal?: AbortSignal): Promise<ReadonlyMap<string, ModuleState>> {
		return locations.length === 0 ? new Map() : this.transport.moduleStates(locations, signal);
	}

	/** Modules its disk lacked the daemon's beam of at its last batch, with the MD5 the disk had (null: none). */
	get diskLagging(): ReadonlyMap<string, string | null> {
		return this.#diskLag;
	}

	/**
	 * After a batch: what it now runs the new code of, what it still lags
	 * behind in, and of those what its own disk lacked (`diskBehind`).
	 */
	noteBatch(id: number, state: string, ok: boolean, caughtUp: readonly string[], behind: readonly string[], diskBehind: ReadonlyMap<string, string | null> = new Map()): void {
		this.#lastBatch = {id, state, ok};
		for (const module of [...caughtUp, ...behind]) {
			this.#lagging.delete(module);
			this.#diskLag.delete(module);
		}
		for (const module of behind) {
			this.#lagging.add(module);
		}
		for (const [module, md5] of diskBehind) {
			this.#diskLag.set(module, md5);
		}
	}

	status(): MemberStatus {
		return {
			node: this.node,
			connected: this.#connected,
			versions: this.#versions,
			...(this.#reason === undefined ? {} : {reason: this.#reason}),
			...(this.#lastBatch === undefined ? {} : {lastBatch: this.#lastBatch}),
			lagging: this.lagging,
		};
	}

	close(): Promise<void> {
		return this.transport.close();
	}

	/** code:which(ejabberd)'s directory as the node itself names it (the path map may already translate it). */
	async #nodeEbin(signal?: AbortSignal): Promise<string> {
		return this.#paths.toNode(await this.transport.codeDirectory(signal));
	}
}
