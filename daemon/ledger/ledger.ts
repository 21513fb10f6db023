import type {BeamSnapshot} from '../beam/beam-snapshot.ts';
import type {Trigger} from '../reloader/batch-record.ts';

/**
 * Why the daemon owes the node a load: a write seen (`watch`), a source
 * compiled (`compile`), asked for (`api`), a batch that must look again at a
 * file caught mid-write (`retry`), a module held back by `purge: soft`
 * (`softPurge`), a change found stale by the init step (`catchUp`), a batch
 * handed back while the node was away (`reconnect`), a cluster member that
 * joined or came back (`join`, `reconnect`), a lagging disk that caught up
 * (`lag`).
 */
export type OwedReason = 'watch' | 'compile' | 'api' | 'retry' | 'softPurge' | 'catchUp' | 'reconnect' | 'join' | 'lag';

/** Every module: a node that joined or came back owes whatever differs there (update_info says what). */
export const ALL_MODULES = '*';

/** A piece of owed work, as its source states it. */
export interface OwedWork {
	/** A module, or ALL_MODULES. */
	readonly module: string;
	/** The daemon's path of its beam, when known. */
	readonly path?: string;
	/** The beam as the settle step read it; absent: the batch reads it. */
	readonly snapshot?: BeamSnapshot;
	/** When the wanted beam was seen (clock ms): a newer piece of work replaces an older one, never the reverse. */
	readonly at: number;
	readonly reason: OwedReason;
	/** The batch it goes into (what the record says started it). */
	readonly trigger: Trigger;
	/** In a cluster: only these members; absent: every node. */
	readonly nodes?: readonly string[];
}

/**
 * When owed work is due: at a clock time; when the quiet window closes
 * (writes come in bursts); or once the settle step has read the file again
 * (`read`: a batch found it mid-write; it is never taken before that).
 */
export type Due = number | 'window' | 'read';

export interface LedgerEntry extends OwedWork {
	/** When this module was first owed, over every replacement: how long the node has waited for it. */
	readonly since: number;
	readonly due: Due;
}

/**
 * Everything the daemon still owes the node, in one place: per module (and
 * per member set in a cluster) the snapshot wanted, why, since when and when
 * it is due. The shape of a controller's work queue: a key is owed at most
 * once however often it is added; a key taken by the running batch
 * (in flight) can be owed again meanwhile and is taken again only after that
 * batch, so a change during a batch is neither lost nor run twice at once.
 * Pure: the daemon gives the time.
 */
export class Ledger {
	readonly #owed = new Map<string, LedgerEntry>();
	readonly #inFlight = new Map<string, LedgerEntry>();

	/**
	 * Owe this work. A newer snapshot of the key replaces an older one (the
	 * reason and due time with it); an older one never replaces a newer one.
	 * Returns whether the ledger changed.
	 */
	owe(work: OwedWork, due: Due, now: number): boolean {
		const key = keyOf(work);
		const owed = this.#owed.get(key);
		if (owed !== undefined && owed.at > work.at) {
			return false;
		}
		this.#owed.set(key, Object.freeze({...work, since: owed?.since ?? this.#inFlight.get(key)?.since ?? now, due: earlier(owed?.due, due, owed !== undefined && owed.at === work.at)}));
		return true;
	}

	/** The quiet window closed: everything it held is due now. */
	releaseWindow(now: number): void {
		this.#release(entry => entry.due === 'window', now);
	}

	/**
	 * Take the next batch's work: of the entries due at `now` whose key no
	 * batch holds, the one owed longest decides the batch (its trigger and
	 * members), and every due entry of the same kind goes with it. Held in
	 * flight until finish(); the rest stays owed for the batches after it.
	 */
	takeDue(now: number): LedgerEntry[] {
		const isDue = (entry: LedgerEntry) => typeof entry.due === 'number' && entry.due <= now;
		const first = this.owed().find(entry => isDue(entry) && !this.#inFlight.has(keyOf(entry)));
		if (first === undefined) {
			return [];
		}
		const batch = batchKeyOf(first);
		return this.#take(entry => isDue(entry) && batchKeyOf(entry) === batch);
	}

	/**
	 * Take what is owed of these modules on these members, whenever due: a
	 * request for them reads their beams afresh, which covers any earlier
	 * change (and a beam waiting to be read again; if it is still mid-write,
	 * the request's batch defers it, and it is owed again).
	 */
	takeModules(modules: ReadonlySet<string>, nodes: readonly string[] | undefined): LedgerEntry[] {
		const nodesKey = nodesKeyOf(nodes);
		return this.#take(entry => modules.has(entry.module) && nodesKeyOf(entry.nodes) === nodesKey);
	}

	/** Hold these entries as the running batch's (work it brings itself, e.g. a request's modules). */
	hold(entries: readonly LedgerEntry[]): void {
		for (const entry of entries) {
			this.#inFlight.set(keyOf(entry), entry);
		}
	}

	/** The running batch is over: its follow-ups have been owed again (or not). */
	finish(): void {
		this.#inFlight.clear();
	}

	/** Forget what waits for a read of this path: the settle step reported the file (vanished, not a beam). */
	dropRead(path: string): void {
		for (const [key, entry] of this.#owed) {
			if (entry.due === 'read' && entry.path === path) {
				this.#owed.delete(key);
			}
		}
	}

	/** The earliest clock time an entry falls due; undefined when none waits for a time. */
	nextDue(): number | undefined {
		let next: number | undefined;
		for (const [key, entry] of this.#owed) {
			if (typeof entry.due === 'number' && !this.#inFlight.has(key) && (next === undefined || entry.due < next)) {
				next = entry.due;
			}
		}
		return next;
	}

	/** Whether a batch may load this module on this node: the running batch holds it, or holds every module there. */
	holds(module: string, node?: string): boolean {
		return [...this.#inFlight.values()].some(entry => (entry.module === module || entry.module === ALL_MODULES) && (entry.nodes === undefined || node === undefined || entry.nodes.includes(node)));
	}

	get owedCount(): number {
		return this.#owed.size;
	}

	/** What is owed, oldest first. */
	owed(): readonly LedgerEntry[] {
		return [...this.#owed.values()].sort((a, b) => a.since - b.since);
	}

	/** What the running batch holds. */
	inFlight(): readonly LedgerEntry[] {
		return [...this.#inFlight.values()];
	}

	#take(wanted: (entry: LedgerEntry) => boolean): LedgerEntry[] {
		const taken: LedgerEntry[] = [];
		for (const [key, entry] of this.#owed) {
			if (wanted(entry) && !this.#inFlight.has(key)) {
				this.#owed.delete(key);
				this.#inFlight.set(key, entry);
				taken.push(entry);
			}
		}
		return taken;
	}

	#release(wanted: (entry: LedgerEntry) => boolean, now: number): void {
		for (const [key, entry] of this.#owed) {
			if (wanted(entry)) {
				this.#owed.set(key, Object.freeze({...entry, due: now}));
			}
		}
	}
}

/** What others may read of the ledger: /status and the simulation's invariants. */
export type LedgerView = Pick<Ledger, 'owed' | 'inFlight' | 'holds' | 'owedCount'>;

/** One key per module and member set: the same module owed on every node and on one member are two pieces of work. */
export function keyOf(work: Pick<OwedWork, 'module' | 'nodes'>): string {
	return `${nodesKeyOf(work.nodes)}\u0000${work.module}`;
}

/** Work that can go into one batch: the same trigger, on the same members. */
function batchKeyOf(entry: OwedWork): string {
	return `${entry.trigger}\u0000${nodesKeyOf(entry.nodes)}`;
}

function nodesKeyOf(nodes: readonly string[] | undefined): string {
	return nodes === undefined ? '' : [...nodes].sort().join(',');
}

/**
 * A replacement keeps the sooner of two clock times only for the very same
 * snapshot (a retry that also got a write event); a newer snapshot brings its
 * own due time: a write waits for its quiet window even if a retry of the
 * older one was due sooner.
 */
function earlier(owed: Due | undefined, due: Due, sameSnapshot: boolean): Due {
	if (sameSnapshot && typeof owed === 'number' && typeof due === 'number') {
		return Math.min(owed, due);
	}
	return due;
}
