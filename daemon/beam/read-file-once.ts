import {open} from 'node:fs/promises';
import type {FileHandle} from 'node:fs/promises';
import {errnoOf, unreadable} from './beam-file.ts';

/** A file's bytes and modification time, both taken through the same descriptor. */
export interface FileContent {
	readonly bytes: Buffer;
	readonly mtimeMs: number;
}

/** Reads a whole file once; undefined if there is no file at the path. Injected where tests count opens or fake the disk. */
export type FileReader = (path: string) => Promise<FileContent | undefined>;

/**
 * One open, one fstat, one read, through one descriptor: the bytes and the
 * mtime describe the same file even when `make install` unlinks and rewrites
 * the path meanwhile (the descriptor keeps the old inode).
 */
export const readFileOnce: FileReader = async path => {
	let handle: FileHandle;
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
		return {bytes: await handle.readFile(), mtimeMs: stats.mtimeMs};
	} catch (error) {
		throw unreadable(path, error);
	} finally {
		await handle.close().catch(() => undefined);
	}
};
