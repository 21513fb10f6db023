import {readBeamFileVersion} from '../beam/beam-version.ts';
import {ReloaderError, errorMessage} from '../errors.ts';
import type {ModuleLocation} from '../transports/transport.ts';

export interface BeamCheck {
	/** Complete beams, with the version read from each. */
	readonly versions: ReadonlyMap<string, {readonly path: string; readonly vsn: string | undefined}>;
	/** Half-written right now: handed back to the watcher, they come again once complete. */
	readonly deferred: ReadonlySet<string>;
	/** Not usable: unreadable, vanished, not a beam, or holding another module. */
	readonly rejected: ReadonlyMap<string, string>;
	/** Listed by update_info with no beam the daemon knows of: ejabberd reads it itself. */
	readonly unchecked: ReadonlySet<string>;
}

/** Read each beam whole right before the node sees it: a half-written beam is never handed on. */
export async function checkBeams(changes: readonly ModuleLocation[]): Promise<BeamCheck> {
	const versions = new Map<string, {path: string; vsn: string | undefined}>();
	const deferred = new Set<string>();
	const rejected = new Map<string, string>();
	const unchecked = new Set<string>();
	await Promise.all(changes.map(async ({module, path}) => {
		if (path === '') {
			unchecked.add(module);
			return;
		}
		try {
			const beam = await readBeamFileVersion(path);
			if (beam.module === module) {
				versions.set(module, {path, vsn: beam.vsn});
			} else {
				rejected.set(module, `${path} holds module ${beam.module}, not ${module}: rename the file or fix its -module attribute`);
			}
		} catch (error) {
			if (error instanceof ReloaderError && error.code === 'ERR_BEAM_INCOMPLETE') {
				deferred.add(module);
			} else {
				rejected.set(module, errorMessage(error));
			}
		}
	}));
	return {versions, deferred, rejected, unchecked};
}
