import type {BeamSnapshot} from '../beam/beam-snapshot.ts';

/** One complete beam seen on disk. */
export interface BeamChange {
	/** The module its file name names. */
	readonly module: string;
	readonly path: string;
	/** When the watcher saw it complete (clock ms). */
	readonly at: number;
	/**
	 * What the settle step read, once: the reloader checks this and never reads
	 * the file again. Absent for a change nobody has read yet (a module asked
	 * for by name): the reloader then reads it once.
	 */
	readonly snapshot?: BeamSnapshot;
}
