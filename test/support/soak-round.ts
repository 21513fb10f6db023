import type {PipelineStatus} from '../../daemon/pipeline-status.ts';
import type {DaemonRecord} from '../../daemon/records.ts';

/** What one soak round does to a module's beam. */
export type SoakWrite = 'changed' | 'identical' | 'truncated' | 'garbage';

export interface RoundWrite {
	readonly module: string;
	readonly kind: SoakWrite;
}

/**
 * The writes of a round the daemon has not yet given its final word on.
 *
 * The daemon's status cannot say "idle" truthfully about a write chokidar has
 * not reported yet: right after `unlink` + `writeFile` it shows nothing
 * unsettled, nothing pending, nothing queued, although a batch for that write
 * is coming (chokidar reported it 27-41 ms later in the soak, more under load).
 * So a round is over only when every write has been answered:
 * - a complete beam (changed, identical) ends in a batch, in any class but
 *   `deferred` (found half-written: it comes again in a later batch);
 * - a broken one (truncated, garbage) ends in the settler's report of it
 *   (incomplete or invalid), or in a batch that failed it.
 * A `vanished` report answers nothing: it is the write's own `unlink` seen
 * by an earlier event, and the write itself is still to come.
 */
export function unansweredWrites(writes: readonly RoundWrite[], records: readonly DaemonRecord[]): RoundWrite[] {
	const batched = new Set<string>();
	const failed = new Set<string>();
	const broken = new Set<string>();
	for (const record of records) {
		if (record.event === 'batch') {
			for (const module of [...record.updated, ...record.unchanged, ...record.notLoaded, ...record.outOfReach, ...record.heldBack]) {
				batched.add(module);
			}
			for (const {module} of record.failed) {
				failed.add(module);
			}
		} else if (record.event === 'error' && record.module !== undefined && (record.code === 'ERR_BEAM_INCOMPLETE' || record.code === 'ERR_BEAM_INVALID')) {
			broken.add(record.module);
		}
	}
	return writes.filter(({module, kind}) => (kind === 'changed' || kind === 'identical')
		? !batched.has(module) && !failed.has(module)
		: !broken.has(module) && !failed.has(module));
}

/** Nothing left anywhere in the pipeline the daemon knows of, and the node initialised. */
export function isPipelineIdle(status: PipelineStatus): boolean {
	return status.connected && status.unsettledBeams === 0 && status.pendingChanges === 0 && status.queuedBatches === 0 && status.runningBatches === 0;
}

/** A round is over when every write was answered and nothing the answers started is still running. */
export function isRoundOver(writes: readonly RoundWrite[], records: readonly DaemonRecord[], status: PipelineStatus): boolean {
	return unansweredWrites(writes, records).length === 0 && isPipelineIdle(status);
}

/**
 * The seeds to run: `SOAK_SEED=a,b` replays exactly those; otherwise the fixed
 * ones plus `random`. Throws on anything but comma-separated non-negative integers.
 */
export function soakSeeds(variable: string | undefined, fixed: readonly number[], random: number): number[] {
	if (variable === undefined || variable.trim() === '') {
		return [...new Set([...fixed, random])];
	}
	return variable.split(',').map(part => {
		const seed = Number(part.trim());
		if (part.trim() === '' || !Number.isSafeInteger(seed) || seed < 0) {
			throw new TypeError(`Expected SOAK_SEED to be comma-separated non-negative integers, got ${JSON.stringify(variable)} (bad part ${JSON.stringify(part)})`);
		}
		return seed;
	});
}
