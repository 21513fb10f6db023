/** One complete beam seen on disk. */
export interface BeamChange {
	readonly module: string;
	readonly path: string;
	/** When the watcher saw it complete (clock ms). */
	readonly at: number;
}

/** What the batcher hands on: an immutable set of module changes, one per module. */
export interface Batch {
	readonly id: number;
	readonly changes: readonly BeamChange[];
	readonly firstChangeAt: number;
	readonly closedAt: number;
}

export function batchModules(batch: Batch): string[] {
	return batch.changes.map(change => change.module);
}
