import {readdir} from 'node:fs/promises';
import {join} from 'node:path';
import {moduleOfBeamPath} from './module-name.ts';

export interface BeamEntry {
	readonly path: string;
	/** The beam's `vsn` attribute when last read, if it was. */
	readonly vsn: string | undefined;
}

/**
 * What the daemon knows of the beams in its watched directories: where each
 * module's beam is, and the version it had when last read. The version is what
 * tells an identical rebuild (`unchanged`) from a real change on every transport.
 * Written by the initial scan, then only as batches are classified (the version
 * each module's batch checked): one writer, in queue order.
 */
export class BeamIndex {
	readonly #entries = new Map<string, BeamEntry>();

	get size(): number {
		return this.#entries.size;
	}

	get(module: string): BeamEntry | undefined {
		return this.#entries.get(module);
	}

	has(module: string): boolean {
		return this.#entries.has(module);
	}

	/** A path seen on disk; the version stays what it was until the beam is read. */
	notePath(module: string, path: string): void {
		this.#entries.set(module, {path, vsn: this.#entries.get(module)?.vsn});
	}

	noteVersion(module: string, path: string, vsn: string | undefined): void {
		this.#entries.set(module, {path, vsn});
	}

	modules(): string[] {
		return [...this.#entries.keys()];
	}
}

/** List the plainly named beams of the directories (not recursive), first directory winning. */
export async function listBeams(directories: readonly string[]): Promise<Map<string, string>> {
	const found = new Map<string, string>();
	for (const directory of directories) {
		for (const file of await readdir(directory)) {
			const module = moduleOfBeamPath(file);
			if (module !== undefined && !found.has(module)) {
				found.set(module, join(directory, file));
			}
		}
	}
	return found;
}
