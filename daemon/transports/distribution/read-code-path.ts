import {dirname} from 'node:path';
import {isTuple, type Term} from '../../lib/erlang-term/index.ts';
import {normalizeDirectory} from '../path-map.ts';
import {readCharlist} from './read-results.ts';

/**
 * Pure: the directories of `code:get_path()` that hold a module of
 * `code:all_loaded()` (`[{Module, Filename}]`; preloaded and cover-compiled
 * modules have an atom instead of a file), in code path order, each once.
 */
export function readLoadedDirectories(codePath: Term, allLoaded: Term): string[] {
	const holding = new Set<string>();
	for (const entry of Array.isArray(allLoaded) ? allLoaded : []) {
		const file = isTuple(entry, 2) ? readCharlist(entry.elements[1] as Term) : undefined;
		if (file?.startsWith('/') === true) {
			holding.add(normalizeDirectory(dirname(file)));
		}
	}
	const directories: string[] = [];
	for (const entry of Array.isArray(codePath) ? codePath : []) {
		const directory = readCharlist(entry as Term);
		if (directory?.startsWith('/') !== true) {
			continue;
		}
		const normalized = normalizeDirectory(directory);
		if (holding.has(normalized) && !directories.includes(normalized)) {
			directories.push(normalized);
		}
	}
	return directories;
}
