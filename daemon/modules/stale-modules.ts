import {dirname} from 'node:path';
import type {BeamReader, BeamSnapshot} from '../beam/beam-snapshot.ts';
import type {Transport} from '../transports/transport.ts';
import type {BeamIndex} from './beam-index.ts';

/** A module the node runs other code of than its beam holds, with the read that showed it. */
export interface StaleModule {
	readonly module: string;
	readonly path: string;
	readonly snapshot: BeamSnapshot;
}

export interface FindStaleOptions {
	readonly transport: Transport;
	readonly index: BeamIndex;
	/** The directory update_info scans (as this host sees it): its modules are update_info's to list. */
	readonly reach: string | undefined;
	/** What update_info listed: updated through it, never twice. */
	readonly listed: readonly string[];
	readonly read: BeamReader;
	readonly signal?: AbortSignal;
}

/**
 * The modules of the watched directories beyond update_info's directory
 * (contrib modules, a dependency's ebin) that changed on disk while nobody
 * watched: loaded in the node, and the loaded code's MD5
 * (`module_info(md5)`) is not the code MD5 of the beam as the daemon reads it
 * now. update_info never lists those, so without this a contrib beam rebuilt
 * while the daemon was stopped would keep running old code unnoticed. Only a
 * transport that sees the loaded code can tell (`verifyByContent`); a module
 * never loaded is not stale: it loads the new beam on first use.
 */
export async function findStaleModules({transport, index, reach, listed, read, signal}: FindStaleOptions): Promise<StaleModule[]> {
	if (!transport.capabilities.verifyByContent || reach === undefined) {
		return [];
	}
	const beyond = index.modules().flatMap(module => {
		const path = index.get(module)?.path;
		return path === undefined || dirname(path) === reach || listed.includes(module) ? [] : [{module, path}];
	});
	if (beyond.length === 0) {
		return [];
	}
	const states = await transport.moduleStates(beyond, signal);
	const loaded = beyond.filter(({module}) => states.get(module)?.loaded === true);
	const stale = await Promise.all(loaded.map(async ({module, path}): Promise<StaleModule | undefined> => {
		const beam = await read(path).catch(() => undefined);
		if (beam?.state !== 'complete' || beam.snapshot.module !== module) {
			// Half-written or unusable now: the watcher reports it when it settles.
			return undefined;
		}
		return states.get(module)?.loadedMd5 === beam.snapshot.codeMd5 ? undefined : {module, path, snapshot: beam.snapshot};
	}));
	return stale.filter(entry => entry !== undefined);
}
