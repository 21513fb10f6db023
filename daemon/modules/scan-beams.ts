import {readBeamFileVersion} from '../beam/beam-version.ts';
import {BeamIndex, listBeams} from './beam-index.ts';

/**
 * Build the index of the watched directories: each module's beam and its
 * version as it is now. This baseline is what tells a later identical rebuild
 * (`unchanged`) from a real change. A beam that cannot be read now is indexed
 * without a version: its first change then counts as a change.
 */
export async function scanBeams(directories: readonly string[]): Promise<BeamIndex> {
	const index = new BeamIndex();
	const beams = await listBeams(directories);
	await Promise.all([...beams].map(async ([module, path]) => {
		try {
			const {vsn} = await readBeamFileVersion(path);
			index.noteVersion(module, path, vsn);
		} catch {
			index.notePath(module, path);
		}
	}));
	return index;
}
