import {readdir} from 'node:fs/promises';
import {dirname, join} from 'node:path';

export interface BeamEntry {
	readonly path: string;
	/** The beam's `vsn` attribute when last read, if it was. */
	readonly vsn: string | undefined;
	/** The code's MD5 (beam_lib:md5) when last read, if it was: with `vsn`, tells a kept `-vsn` over changed code. */
	readonly codeMd5?: string | undefined;
}

/** An entry named `*.beam` in a watched directory that is no beam the node should be asked about. */
export interface StrayEntry {
	readonly path: string;
	/** What it is instead, for a message: `a directory`, `not a beam file: ...`. Holds no unescaped file bytes. */
	readonly what: string;
}

/**
 * What the daemon knows of the beams in its watched directories: where each
 * module's beam is, and the version it had when last read. The version is what
 * tells an identical rebuild (`unchanged`) from a real change on every transport.
 * Only regular, complete beams whose module matches their file name are
 * indexed, so a name from outside that is anything else is unknown (404) and
 * never reaches the node.
 * Written by the initial scan, then only as batches are classified (the version
 * each module's batch checked): one writer, in queue order.
 */
export class BeamIndex {
	readonly #entries = new Map<string, BeamEntry>();
	readonly #strays: StrayEntry[] = [];

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
		const known = this.#entries.get(module);
		this.#entries.set(module, {path, vsn: known?.vsn, codeMd5: known?.codeMd5});
	}

	noteVersion(module: string, path: string, vsn: string | undefined, codeMd5?: string): void {
		this.#entries.set(module, {path, vsn, codeMd5});
	}

	/** The initial scan found this `*.beam` entry and left it out. */
	noteStray(entry: StrayEntry): void {
		this.#strays.push(Object.freeze({...entry}));
	}

	/** What the initial scan left out, in directory order. */
	strays(): readonly StrayEntry[] {
		return this.#strays;
	}

	modules(): string[] {
		return [...this.#entries.keys()];
	}

	/** update_info's directory when the transport does not say: the watched one holding ejabberd.beam. */
	ejabberdDirectory(): string | undefined {
		const path = this.#entries.get('ejabberd')?.path;
		return path === undefined ? undefined : dirname(path);
	}

	/** These modules with their beam's path, those the index knows. */
	locate(modules: readonly string[]): Array<{module: string; path: string}> {
		return modules.flatMap(module => {
			const path = this.#entries.get(module)?.path;
			return path === undefined ? [] : [{module, path}];
		});
	}
}

/**
 * Every entry named `*.beam` in the directories (not recursive), whatever it
 * is: ejabberd_update's own scan takes them all. Sorted by name per directory.
 */
export async function listBeamEntries(directories: readonly string[]): Promise<string[]> {
	const found: string[] = [];
	for (const directory of directories) {
		const names = (await readdir(directory)).filter(name => name.endsWith('.beam')).sort();
		found.push(...names.map(name => join(directory, name)));
	}
	return found;
}
