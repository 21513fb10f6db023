import {readdir} from 'node:fs/promises';
import * as path from 'node:path';
import {sourceFileOf} from './source-files.ts';

/** A source tree's own folders (`src/`, `include/`, `src/sub/`) lie within this depth; deeper is a dependency's checkout. */
export const SOURCE_DEPTH = 3;

/** At most this many sources are read at start: a source directory pointed at `/` must not read the disk. */
export const MAX_SOURCE_FILES = 20_000;

/** Where a source tree keeps its headers: `include/` inside the source directory and beside it (`src/` next to `include/`). */
export function treeIncludeDirs(dir: string): string[] {
	return [path.join(dir, 'include'), path.join(path.dirname(dir), 'include')];
}

/** Folders that hold no sources of the module being edited: build output, dependencies, VCS state, dot folders. */
export function isSkippedFolder(name: string): boolean {
	return name.startsWith('.') || SKIPPED_FOLDERS.has(name);
}

const SKIPPED_FOLDERS = new Set(['_build', 'deps', 'ebin', 'priv', 'node_modules', 'logs']);

/** The sources (`.erl`, `.hrl`) of a tree, as the watcher sees it (same depth, same skipped folders); `truncated` past MAX_SOURCE_FILES. */
export async function listSourceFiles(root: string): Promise<{readonly files: readonly string[]; readonly truncated: boolean}> {
	const files: string[] = [];
	const walk = async (directory: string, depth: number): Promise<boolean> => {
		const entries = await readdir(directory, {withFileTypes: true}).catch(() => []);
		for (const entry of entries) {
			const full = path.join(directory, entry.name);
			if (entry.isDirectory()) {
				if (depth < SOURCE_DEPTH && !isSkippedFolder(entry.name) && !(await walk(full, depth + 1))) {
					return false;
				}
			} else if (sourceFileOf(full) !== undefined) {
				if (files.length >= MAX_SOURCE_FILES) {
					return false;
				}
				files.push(full);
			}
		}
		return true;
	};
	const complete = await walk(root, 0);
	return {files, truncated: !complete};
}
