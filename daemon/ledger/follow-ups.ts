import type {BeamChange} from '../batcher/batch.ts';
import type {BatchRecord} from '../reloader/batch-record.ts';
import type {Resettle} from '../reloader/writes-during-batch.ts';
import {ALL_MODULES, type Due, type LedgerEntry, type OwedWork} from './ledger.ts';

/** Work a batch leaves owed, with when it falls due. */
export interface OwedAgain {
	readonly work: OwedWork;
	readonly due: Due;
}

/** What a finished batch leaves behind: work owed again, and what the settle step is to read again or forget. */
export interface FollowUps extends Resettle {
	readonly owed: readonly OwedAgain[];
}

/**
 * What a batch that ran leaves owed: each beam it judged mid-write is read
 * again and owed until it is (`resettle.recheck`); each module `purge: soft`
 * held back is tried again at `retryAt`. Pure: the daemon applies it.
 */
export function followUpsOf(record: BatchRecord, changes: readonly BeamChange[] | undefined, resettle: Resettle, now: number, retryAt: number): FollowUps {
	const reread = resettle.recheck.map(({module, path}): OwedAgain => ({work: {module, path, at: now, reason: 'retry', trigger: 'watch'}, due: 'read'}));
	const held = (changes ?? []).filter(({module}) => record.heldBack.includes(module)).map((change): OwedAgain => ({work: {...change, reason: 'softPurge', trigger: 'watch'}, due: retryAt}));
	return {...resettle, owed: [...reread, ...held]};
}

/**
 * A batch that could not run (the node away or busy) goes back, due at
 * `due`: nothing is lost, nothing runs twice at once. A request for every
 * module goes back as nothing: its caller was told, and the node's return
 * re-runs the init step, which finds what is stale.
 */
export function handedBack(held: readonly LedgerEntry[], due: number): OwedAgain[] {
	return held.flatMap(({module, path, snapshot, at, trigger, nodes}) => {
		const asked = trigger === 'api' || trigger === 'once';
		if (asked && module === ALL_MODULES) {
			return [];
		}
		const work: OwedWork = {module, at, reason: 'reconnect', trigger: asked ? 'watch' : trigger, ...(path === undefined ? {} : {path}), ...(snapshot === undefined ? {} : {snapshot}), ...(nodes === undefined ? {} : {nodes})};
		return [{work, due}];
	});
}
