import {readBeamSnapshot, type BeamReader} from '../beam/beam-snapshot.ts';
import {BeamIndex, listBeams} from './beam-index.ts';

/**
 * Build the index of the watched directories: each module's beam and its
 * version as it is now (one read per beam). This baseline is what tells a
 * later identical rebuild (`unchanged`) from a real change. A beam that cannot
 * be read whole now is indexed without a version: its first change then counts
 * as a change. After this, only batch records update the index.
 */
export async function scanBeams(directories: readonly string[], read: BeamReader = async path => readBeamSnapshot(path)): Promise<BeamIndex> {
	const index = new BeamIndex();
	const beams = await listBeams(directories);
	await Promise.all([...beams].map(async ([module, path]) => {
		const beam = await read(path).catch(() => undefined);
		if (beam?.state === 'complete' && beam.snapshot.module === module) {
			index.noteVersion(module, path, beam.snapshot.vsn);
		} else {
			index.notePath(module, path);
		}
	}));
	return index;
}
