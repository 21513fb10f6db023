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

/**
 * The beams of `directory` whose inode changed at or after `sinceMs` (ctime:
 * any write, creation or rename onto the name moves it, and unlike mtime no
 * `install -p` can set it back). Throws when the directory cannot be read, so
 * that a caller out of descriptors tries again rather than taking "none".
 */
export async function beamsChangedSince(directory: string, sinceMs: number): Promise<string[]> {
	const entries = await readdir(directory, {withFileTypes: true});
	const beams = entries
		.filter(entry => (entry.isFile() || entry.isSymbolicLink()) && moduleOfBeamPath(entry.name) !== undefined)
		.map(entry => path.join(directory, entry.name));
	const changed = await Promise.all(beams.map(async beam => {
		const stats = await stat(beam).catch(() => undefined);
		return stats !== undefined && stats.ctimeMs >= sinceMs ? beam : undefined;
	}));
	return changed.filter(beam => beam !== undefined);
}
