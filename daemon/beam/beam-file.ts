import {open} from 'node:fs/promises';
import type {FileHandle} from 'node:fs/promises';
import {ReloaderError} from '../errors.ts';
import {BEAM_HEADER_SIZE, checkBeamHeader} from './beam-header.ts';
import type {BeamHeaderCheck} from './beam-header.ts';

export type BeamInspection =
	| {readonly state: 'missing'}
	| (BeamHeaderCheck & {readonly size: number; readonly mtimeMs: number});

/**
 * Read a beam's header and size through one file descriptor, so both describe
 * the same file even when `make install` replaces it meanwhile.
 */
export async function inspectBeamFile(path: string): Promise<BeamInspection> {
	let handle: FileHandle;
	try {
		handle = await open(path, 'r');
	} catch (error) {
		if (errnoOf(error) === 'ENOENT') {
			return {state: 'missing'};
		}
		throw unreadable(path, error);
	}
	try {
		const header = await readHeader(handle);
		// After the read: a file still growing then shows at least the bytes read.
		const stats = await handle.stat();
		return {...checkBeamHeader(header, stats.size), size: stats.size, mtimeMs: stats.mtimeMs};
	} catch (error) {
		throw unreadable(path, error);
	} finally {
		await handle.close().catch(() => undefined);
	}
}

async function readHeader(handle: FileHandle): Promise<Buffer> {
	const header = Buffer.alloc(BEAM_HEADER_SIZE);
	let filled = 0;
	while (filled < BEAM_HEADER_SIZE) {
		const {bytesRead} = await handle.read(header, filled, BEAM_HEADER_SIZE - filled, filled);
		if (bytesRead === 0) {
			break;
		}
		filled += bytesRead;
	}
	return header.subarray(0, filled);
}

export function errnoOf(error: unknown): string | undefined {
	if (error instanceof Error && 'code' in error && typeof error.code === 'string') {
		return error.code;
	}
	return undefined;
}

const HINTS: Readonly<Record<string, string>> = {
	EACCES: 'Give the daemon\'s user read permission on the file and search permission on its directories.',
	EPERM: 'Give the daemon\'s user read permission on the file.',
	EISDIR: 'The path is a directory: only .beam files should reach the beam check.',
	EMFILE: 'Too many open files: raise the limit (ulimit -n) or watch fewer directories.',
	ENFILE: 'The system is out of file descriptors: try again later.',
};

/** Errors that can go away by themselves; the rest need the user. */
const TRANSIENT = new Set(['EMFILE', 'ENFILE', 'EAGAIN', 'EBUSY', 'EINTR']);

export function unreadable(path: string, error: unknown): ReloaderError {
	const errno = errnoOf(error) ?? 'unknown error';
	const detail = error instanceof Error ? error.message : String(error);
	return new ReloaderError('ERR_BEAM_UNREADABLE', `Cannot read beam file ${JSON.stringify(path)} (${errno}): ${detail}`, {
		cause: error,
		retryable: TRANSIENT.has(errno),
		hint: HINTS[errno] ?? 'Check that the path is a readable regular file.',
	});
}
