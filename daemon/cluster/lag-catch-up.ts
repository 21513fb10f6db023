import type {BeamChange} from '../batcher/batch.ts';
import type {BeamReader} from '../beam/beam-snapshot.ts';
import type {BeamIndex} from '../modules/beam-index.ts';
import {checkBeams} from '../reloader/check-beams.ts';
import type {ClusterMember} from './cluster-member.ts';

/**
 * Members whose disk lacked a batch's beam (lagging) are asked again: the
 * modules every such disk now holds the daemon's beam of, each with its
 * snapshot, for a batch of their own on every member (`caughtUp`), so that
 * the members skipped meanwhile (onLag: fail) are updated too. A module that
 * failed for another reason is not among them: its disk did not lag.
 * Empty while no lagging disk has caught up.
 */
export async function caughtUpChanges(members: readonly ClusterMember[], index: BeamIndex, read: BeamReader, signal?: AbortSignal): Promise<BeamChange[]> {
	const lagging = members.filter(member => member.connected && member.diskLagging.size > 0);
	if (lagging.length === 0) {
		return [];
	}
	const modules = [...new Set(lagging.flatMap(member => [...member.diskLagging.keys()]))].flatMap(module => {
		const path = index.get(module)?.path;
		return path === undefined ? [] : [{module, path}];
	});
	const check = await checkBeams(modules, read);
	const answers = await Promise.all(lagging.map(async member => ({member, states: await member.states(modules.filter(({module}) => member.diskLagging.has(module)), signal)})));
	const at = Date.now();
	return modules.flatMap(({module, path}) => {
		const snapshot = check.versions.get(module);
		const agrees = snapshot !== undefined && answers.every(({member, states}) => !member.diskLagging.has(module) || states.get(module)?.diskMd5 === snapshot.codeMd5);
		return agrees ? [{module, path, at, snapshot}] : [];
	});
}
