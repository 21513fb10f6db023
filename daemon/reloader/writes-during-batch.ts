import type {BatchRecord} from './batch-record.ts';

/** A module of a batch and its beam (the daemon's path). */
export interface BatchBeam {
	readonly module: string;
	readonly path: string;
}

/** What the settle step is to do after a batch: read these beams again and hand them on, forget what it saw of these paths. */
export interface Resettle {
	/** Read the file again and hand it on, even if unchanged: the module is owed until it is read. */
	readonly recheck: readonly BatchBeam[];
	/** Forget what was seen of it: its next write event hands it on, even unchanged. */
	readonly forget: readonly string[];
}

/**
 * The beams written while a batch ran. A batch judges files that may be in
 * flux: a write during it can make its verdict on a module stale. The
 * daemon counts every write event; a batch takes a mark before it runs, and
 * afterwards asks which of its beams were written since.
 */
export class WritesDuringBatch {
	#count = 0;
	/** The count at each path's last write. */
	readonly #lastWriteOf = new Map<string, number>();

	noteWrite(path: string): void {
		this.#count++;
		this.#lastWriteOf.set(path, this.#count);
	}

	/** Taken before a batch runs. */
	mark(): number {
		return this.#count;
	}

	#writtenSince(path: string, mark: number): boolean {
		return (this.#lastWriteOf.get(path) ?? 0) > mark;
	}

	/**
	 * Verified by the list only (ctl, http), "updated" means update_info no
	 * longer lists the module, which is also what it says when the file is
	 * half-written again: a module whose beam was written while its batch ran
	 * cannot be known to run its snapshot, so it is re-checked (deferred), not
	 * reported updated. Verified by content, the node's MD5 already tells.
	 * On every transport, a module that failed while its beam was written is
	 * deferred too: it is read again (resettle), and its next batch says.
	 */
	deferRaced(record: BatchRecord, changes: readonly BatchBeam[] | undefined, mark: number): BatchRecord {
		if (this.#count === mark) {
			return record;
		}
		const written = changes?.filter(({path}) => this.#writtenSince(path, mark)).map(({module}) => module) ?? [];
		const raced = new Set(record.verifiedBy === 'list' ? written.filter(module => record.updated.includes(module)) : []);
		// Failed while its beam was being written: the failure may be the write's (update_info read it mid-write), and resettle reads it again.
		const failedRaced = new Set(written.filter(module => record.failed.some(failure => failure.module === module)));
		if (raced.size === 0 && failedRaced.size === 0) {
			return record;
		}
		const failed = record.failed.filter(failure => !failedRaced.has(failure.module));
		return {
			...record,
			ok: record.ok || (failed.length === 0 && record.outOfReach.length === 0),
			updated: record.updated.filter(module => !raced.has(module)),
			failed,
			deferred: [...record.deferred, ...raced, ...failedRaced],
		};
	}

	/**
	 * The settler hands each version of a file on once; a batch whose verdict
	 * on a module is not "updated" may have judged a file in flux, and the
	 * rewrite that ended it may be byte for byte the snapshot (`install -p`,
	 * coarse mtimes), which the settler would take for nothing new. So:
	 * deferred modules, and any not updated whose beam was written while the
	 * batch ran, are read again and handed on (recheck); a failed one is
	 * forgotten, so that its next write event hands it on even unchanged, and
	 * so is every one on a transport that verifies by the list only: "not
	 * listed" is also what update_info says of a file half-written again.
	 */
	resettle(record: BatchRecord, beams: readonly BatchBeam[], mark: number, byContent: boolean): Resettle {
		const failed = new Set(record.failed.map(({module}) => module));
		const recheck: BatchBeam[] = [];
		const forget: string[] = [];
		for (const beam of beams) {
			const {module, path} = beam;
			const updated = record.updated.includes(module);
			if (record.heldBack.includes(module) || record.outOfReach.includes(module)) {
				continue;
			}
			if (record.deferred.includes(module) || (!updated && this.#writtenSince(path, mark))) {
				recheck.push(beam);
			} else if (failed.has(module) || !byContent) {
				forget.push(path);
			}
		}
		return {recheck, forget};
	}
}
