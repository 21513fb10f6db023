import type {FailedModule, ModuleClassification} from './batch-record.ts';

export interface ClassificationInput {
	/** Every module the batch is about, in order. */
	readonly modules: readonly string[];
	/** Modules found half-written at the start of the batch. */
	readonly deferred: ReadonlySet<string>;
	/** Modules that failed before reaching the node (unreadable, vanished, not a beam). */
	readonly rejected: ReadonlyMap<string, string>;
	/** update_info's list before the update. */
	readonly listedBefore: ReadonlySet<string>;
	/** Modules handed to update. */
	readonly attempted: ReadonlySet<string>;
	/** update_info's list after the update; a module still in it did not load. */
	readonly listedAfter: ReadonlySet<string>;
	/** Set when update itself failed: every attempted module failed with this reason. */
	readonly updateError: string | undefined;
	/** Modules whose beam holds the same version as the one seen before. */
	readonly sameVersionAsBefore: ReadonlySet<string>;
}

/**
 * Put every module of a batch into exactly one class. Pure: all the facts are
 * gathered by the reloader first, so this is where the rules live and are tested.
 */
export function classifyModules(input: ClassificationInput): ModuleClassification {
	const updated: string[] = [];
	const unchanged: string[] = [];
	const notLoaded: string[] = [];
	const failed: FailedModule[] = [];
	const deferred: string[] = [];
	for (const module of new Set(input.modules)) {
		const rejection = input.rejected.get(module);
		if (input.deferred.has(module)) {
			deferred.push(module);
		} else if (rejection !== undefined) {
			failed.push({module, reason: rejection});
		} else if (input.attempted.has(module)) {
			if (input.updateError !== undefined) {
				failed.push({module, reason: input.updateError});
			} else if (input.listedAfter.has(module)) {
				failed.push({module, reason: 'still differs from its beam after update: the node did not load the new code (see ejabberd.log)'});
			} else {
				updated.push(module);
			}
		} else if (input.sameVersionAsBefore.has(module)) {
			unchanged.push(module);
		} else {
			// A loaded module whose beam changed is always listed by update_info, so a
			// changed beam that is not listed belongs to a module the node never loaded.
			notLoaded.push(module);
		}
	}
	return {updated, unchanged, notLoaded, failed, deferred};
}
