import type {BeamChange} from '../batcher/batch.ts';
import type {BeamRead, BeamReader, BeamSnapshot} from '../beam/beam-snapshot.ts';
import {errorMessage, quoteUntrusted} from '../errors.ts';

export interface BeamCheck {
	/** Complete beams, by module: the snapshot each was checked from. */
	readonly versions: ReadonlyMap<string, BeamSnapshot>;
	/** Half-written right now: handed back to the watcher, they come again once complete. */
	readonly deferred: ReadonlySet<string>;
	/** Not usable: unreadable, vanished, not a beam, or holding another module. */
	readonly rejected: ReadonlyMap<string, string>;
	/** Listed by update_info with no beam the daemon knows of: ejabberd reads it itself. */
	readonly unchecked: ReadonlySet<string>;
}

/**
 * The beams of a batch, each from its snapshot: the settle step already read
 * the file once, and it is never read again. Only a change nobody has read yet
 * (asked for by name, or listed by update_info for `all`) is read, once.
 */
export async function checkBeams(changes: readonly Pick<BeamChange, 'module' | 'path' | 'snapshot'>[], read: BeamReader): Promise<BeamCheck> {
	const reads = await Promise.all(changes.map(async ({module, path, snapshot}): Promise<[string, string, BeamRead | Error | undefined]> => {
		if (snapshot !== undefined) {
			return [module, path, {state: 'complete', snapshot, fingerprint: ''}];
		}
		if (path === '') {
			return [module, path, undefined];
		}
		try {
			return [module, path, await read(path)];
		} catch (error) {
			return [module, path, error instanceof Error ? error : new Error(String(error))];
		}
	}));
	return judgeReads(reads);
}

/** Pure: sort each module's read into exactly one of the check's sets. */
export function judgeReads(reads: readonly (readonly [module: string, path: string, read: BeamRead | Error | undefined])[]): BeamCheck {
	const versions = new Map<string, BeamSnapshot>();
	const deferred = new Set<string>();
	const rejected = new Map<string, string>();
	const unchecked = new Set<string>();
	for (const [module, path, read] of reads) {
		if (read === undefined) {
			unchecked.add(module);
		} else if (read instanceof Error) {
			rejected.set(module, errorMessage(read));
		} else if (read.state === 'incomplete') {
			deferred.add(module);
		} else if (read.state === 'missing') {
			rejected.set(module, `${path} vanished before it could be read`);
		} else if (read.state === 'invalid') {
			rejected.set(module, `${path} is not a usable beam: ${read.reason}`);
		} else if (read.snapshot.module === module) {
			versions.set(module, read.snapshot);
		} else {
			// The module name comes from the file: escaped, it cannot rewrite a log line.
			rejected.set(module, `${path} holds module ${quoteUntrusted(read.snapshot.module)}, not ${module}: rename the file or fix its -module attribute`);
		}
	}
	return {versions, deferred, rejected, unchecked};
}

/** Pure: the check of only these modules (a batch narrowed after its beams were checked), without reading anything again. */
export function restrictCheck(check: BeamCheck, modules: ReadonlySet<string>): BeamCheck {
	return {
		versions: new Map([...check.versions].filter(([module]) => modules.has(module))),
		deferred: new Set([...check.deferred].filter(module => modules.has(module))),
		rejected: new Map([...check.rejected].filter(([module]) => modules.has(module))),
		unchecked: new Set([...check.unchecked].filter(module => modules.has(module))),
	};
}
