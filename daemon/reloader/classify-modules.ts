import type {HeldProcess, ModuleState} from '../transports/transport.ts';
import type {FailedModule, ModuleClassification} from './batch-record.ts';

/**
 * How the batch was verified. `list`: update_info asked again (ejabberdctl and
 * the HTTP API can do no better). `content`: the node's own word on each
 * module, loaded or not and the MD5 of the loaded code and of the beam.
 */
export type Verification =
	| {readonly kind: 'list'; readonly listedAfter: ReadonlySet<string>}
	| {readonly kind: 'content'; readonly before: ReadonlyMap<string, ModuleState>; readonly after: ReadonlyMap<string, ModuleState>};

export interface ClassificationInput {
	/** Every module the batch is about, in order. */
	readonly modules: readonly string[];
	/** Modules found half-written at the start of the batch. */
	readonly deferred: ReadonlySet<string>;
	/** Modules that failed before reaching the node (unreadable, vanished, not a beam). */
	readonly rejected: ReadonlyMap<string, string>;
	/** Modules handed to update (listed by update_info, complete on disk). */
	readonly attempted: ReadonlySet<string>;
	/** Attempted modules whose update failed, with the reason (the others are verified). */
	readonly updateErrors: ReadonlyMap<string, string>;
	/** Changed beams beyond update_info's directory that the transport cannot load. */
	readonly outOfReach: ReadonlySet<string>;
	/** Held back because processes run their old code (`purge: soft`). */
	readonly heldBack: ReadonlySet<string>;
	readonly verification: Verification;
	/**
	 * The code MD5 of the snapshot each module was checked from. The node reads
	 * the file itself when it updates, so after an update it must run exactly
	 * this code (verified by content); other code means the file changed after
	 * the snapshot: the module is re-checked (deferred), never reported updated.
	 */
	readonly expectedMd5?: ReadonlyMap<string, string>;
	/** Modules whose beam holds the same version as the one seen before (for `list`). */
	readonly sameVersionAsBefore: ReadonlySet<string>;
	/**
	 * Modules whose code changed since the daemon's previous snapshot (code
	 * MD5) while their `-vsn` did not: ejabberd_update compares versions only,
	 * so it never lists them. Known from the daemon's own reading of the beam,
	 * on every transport.
	 */
	readonly keptVsn?: ReadonlySet<string>;
	/** What ejabberdctl or mod_http_api answered to `update` (24.12 says `Updated: M` / `Not updated: M`): quoted in a failure's reason; the list still decides. */
	readonly said?: ReadonlyMap<string, 'updated' | 'notUpdated'>;
	/** Held back by `purge: soft` for longer than `purgeSoftTimeoutMs`: failed, with the processes holding them. */
	readonly purgeTimedOut?: ReadonlyMap<string, {readonly reason: string; readonly hint: string; readonly holders: readonly HeldProcess[]}>;
}

/** What to do about a module whose -vsn stayed while its code changed. */
export const KEPT_VSN_HINT = 'Change or remove the -vsn attribute (without one, the version is the MD5 of the code), then install the beam again.';

/**
 * Put every module of a batch into exactly one class. Pure: all the facts are
 * gathered by the reloader first, so this is where the rules live and are tested.
 */
export function classifyModules(input: ClassificationInput): ModuleClassification {
	const result = {updated: [] as string[], unchanged: [] as string[], notLoaded: [] as string[], failed: [] as FailedModule[], deferred: [] as string[], outOfReach: [] as string[], heldBack: [] as string[]};
	for (const module of new Set(input.modules)) {
		const rejection = input.rejected.get(module);
		const timedOut = input.purgeTimedOut?.get(module);
		if (input.deferred.has(module)) {
			result.deferred.push(module);
		} else if (rejection !== undefined) {
			result.failed.push({module, reason: rejection});
		} else if (timedOut !== undefined) {
			result.failed.push({module, ...timedOut});
		} else if (input.heldBack.has(module)) {
			result.heldBack.push(module);
		} else if (input.outOfReach.has(module)) {
			result.outOfReach.push(module);
		} else if (input.attempted.has(module)) {
			const failure = isSuperseded(module, input) ? SUPERSEDED : input.updateErrors.get(module) ?? verifyUpdated(module, input.verification, input.expectedMd5?.get(module), input.said?.get(module));
			if (failure === undefined && ranBefore(module, input)) {
				result.unchanged.push(module);
			} else if (failure === SUPERSEDED) {
				result.deferred.push(module);
			} else if (failure === undefined) {
				result.updated.push(module);
			} else {
				result.failed.push({module, reason: failure});
			}
		} else {
			const outcome = classifyNotListed(module, input);
			if (typeof outcome === 'string') {
				result[outcome].push(module);
			} else {
				result.failed.push({module, reason: outcome.failure, hint: KEPT_VSN_HINT});
			}
		}
	}
	return result;
}

/** The node runs other code than the snapshot's because the file changed after the snapshot: a newer write is on its way. */
const SUPERSEDED = Symbol('superseded');

/**
 * The node ran the snapshot's code before the update already: update_info
 * listed the module for a newer file (written after the snapshot), so the
 * update changed nothing the snapshot holds. Not an update.
 */
function ranBefore(module: string, input: ClassificationInput): boolean {
	const expected = input.expectedMd5?.get(module);
	return expected !== undefined && input.verification.kind === 'content' && input.verification.before.get(module)?.loadedMd5 === expected;
}

/**
 * After its update the node runs neither the snapshot's code nor sees the
 * snapshot's file: the file changed while the batch ran (an update error is
 * then the node catching it mid-write). Re-checked, not failed.
 */
function isSuperseded(module: string, input: ClassificationInput): boolean {
	const expected = input.expectedMd5?.get(module);
	const state = input.verification.kind === 'content' ? input.verification.after.get(module) : undefined;
	return expected !== undefined && state !== undefined && state.loadedMd5 !== expected && state.diskMd5 !== expected;
}

function verifyUpdated(module: string, verification: Verification, expectedMd5: string | undefined, said?: 'updated' | 'notUpdated'): string | typeof SUPERSEDED | undefined {
	if (verification.kind === 'list') {
		const answer = said === undefined ? '' : said === 'notUpdated' ? `; ejabberd answered "Not updated: ${module}"` : `, although ejabberd answered "Updated: ${module}"`;
		return verification.listedAfter.has(module)
			? `still differs from its beam after update: the node did not load the new code${answer} (see ejabberd.log)`
			: undefined;
	}
	const state = verification.after.get(module);
	if (state?.loaded !== true) {
		return 'not loaded after update: the node purged it and did not load the new code (see ejabberd.log)';
	}
	if (expectedMd5 !== undefined && state.loadedMd5 !== expectedMd5) {
		return state.diskMd5 === expectedMd5
			? `after update the loaded code (md5 ${state.loadedMd5 ?? 'unknown'}) is not the beam's (md5 ${expectedMd5}): the node did not load the new code (see ejabberd.log)`
			: SUPERSEDED;
	}
	if (expectedMd5 !== undefined) {
		return undefined;
	}
	if (state.loadedMd5 === undefined || state.loadedMd5 !== state.diskMd5) {
		return `after update the loaded code (md5 ${state.loadedMd5 ?? 'unknown'}) differs from the beam on disk (md5 ${state.diskMd5 ?? 'unreadable'})`;
	}
	return undefined;
}

function classifyNotListed(module: string, input: ClassificationInput): 'unchanged' | 'notLoaded' | 'deferred' | {failure: string} {
	const state = input.verification.kind === 'content' ? input.verification.before.get(module) : undefined;
	if (state === undefined) {
		if (input.keptVsn?.has(module) === true) {
			// The node cannot be asked (ctl, http): the daemon's own two readings of the beam say it.
			return {failure: 'its code changed since the daemon last read it (code md5) but its -vsn did not, so ejabberd_update does not update it: if the node has it loaded, it still runs the old code'};
		}
		// A loaded module whose beam changed is always listed by update_info, so a
		// changed beam that is not listed belongs to a module the node never loaded.
		return input.sameVersionAsBefore.has(module) ? 'unchanged' : 'notLoaded';
	}
	if (!state.loaded) {
		return 'notLoaded';
	}
	const expected = input.expectedMd5?.get(module);
	if (expected !== undefined && state.diskMd5 !== expected) {
		// update_info judged another file than the snapshot (rewritten, or half-written then): look again.
		return 'deferred';
	}
	if (state.loadedMd5 !== undefined && state.loadedMd5 === state.diskMd5) {
		return 'unchanged';
	}
	if (input.keptVsn?.has(module) === true) {
		return {failure: `its code changed (loaded md5 ${state.loadedMd5 ?? 'unknown'}, beam md5 ${state.diskMd5 ?? 'unreadable'}) but its -vsn did not, so ejabberd_update does not update it`};
	}
	// The vsn was not seen unchanged: no guess. update_info does not list a beam it read mid-write (ejabberd_update takes an unreadable version for none).
	return {failure: `its code changed (loaded md5 ${state.loadedMd5 ?? 'unknown'}, beam md5 ${state.diskMd5 ?? 'unreadable'}) yet update_info did not list it: either its -vsn did not change, so ejabberd_update does not update it, or the beam was being written when update_info read it (it is read again if it was written meanwhile)`};
}
