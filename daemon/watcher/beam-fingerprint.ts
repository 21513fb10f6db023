import {createHash} from 'node:crypto';
import {open} from 'node:fs/promises';
import {errnoOf, unreadable} from '../beam/beam-file.ts';

/**
 * What a settled beam was: size, mtime and an MD5 of the content, read through
 * one descriptor so all three describe the same file. Undefined if it is gone.
 *
 * The content is in it because size and mtime alone can lie both ways: a
 * `chmod` (which `install` does after writing) changes neither but fires a
 * change event, and on file systems with coarse mtimes a rebuild of the same
 * size within the same tick changes neither either, though it is new code.
 */
export async function fingerprintBeamFile(path: string): Promise<string | undefined> {
	let handle;
	try {
		handle = await open(path, 'r');
	} catch (error) {
		if (errnoOf(error) === 'ENOENT') {
			return undefined;
		}
		throw unreadable(path, error);
	}
	try {
		const stats = await handle.stat();
		const digest = createHash('md5').update(await handle.readFile()).digest('hex');
		return `${stats.size}:${stats.mtimeMs}:${digest}`;
	} catch (error) {
		throw unreadable(path, error);
	} finally {
		await handle.close().catch(() => undefined);
	}
}
