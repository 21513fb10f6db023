import {readdir, stat} from 'node:fs/promises';
import * as path from 'node:path';
import {moduleOfBeamPath} from '../modules/module-name.ts';

/**
 * What tells one directory from another at the same path: a removed and
 * recreated `ebin` is a new directory even when the kernel hands out the
 * freed inode number again, which the birth time tells apart where the file
 * system records one. Undefined when nothing (or no directory) is there.
 */
export async function directoryIdentity(directory: string): Promise<string | undefined> {
	try {
		const stats = await stat(directory);
		return stats.isDirectory() ? `${stats.dev}:${stats.ino}:${stats.birthtimeMs}` : undefined;
	} catch {
		// ENOENT, ENOTDIR, EACCES: nothing there the daemon can watch; it is looked for again.
		return undefined;
	}
}

/** The plainly named beams in `directory` (temp names left out); none when it is gone. */
export async function listBeams(directory: string): Promise<string[]> {
	let entries;
	try {
		entries = await readdir(directory, {withFileTypes: true});
	} catch {
		return [];
	}
	return entries
		.filter(entry => (entry.isFile() || entry.isSymbolicLink()) && moduleOfBeamPath(entry.name) !== undefined)
		.map(entry => path.join(directory, entry.name));
}
