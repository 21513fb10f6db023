import {constants, type Stats} from 'node:fs';
import {lstat, open, stat, type FileHandle} from 'node:fs/promises';
import {ReloaderError} from '../errors.ts';
import {readRange, withDeadline} from '../files/bounded-read.ts';
import {kindOf} from '../files/file-facts.ts';
import {errnoOf, notRegular, readTimedOut, tooLarge, unreadable} from './beam-file.ts';
import {BEAM_HEADER_SIZE} from './beam-header.ts';

/** A file's bytes and modification time, both taken through the same descriptor. */
export interface FileContent {
	readonly bytes: Buffer;
	readonly mtimeMs: number;
	/**
	 * The file's size when it is more than `bytes` holds: the read stops at the
	 * length the beam's header declares (or after the header of a file that is
	 * no beam), so the rest is never read. Undefined: `bytes` is the whole file.
	 */
	readonly size?: number;
}

/** Reads a beam file once; undefined if there is no file at the path. Injected where tests count opens or fake the disk. */
export type FileReader = (path: string) => Promise<FileContent | undefined>;

export interface BeamReadLimits {
	/** A beam whose header declares more is reported and skipped unread (`maxBeamBytes`). */
	readonly maxBytes: number;
	/** A read still running after this long is reported (a hung network file system). */
	readonly timeoutMs: number;
}

/** The largest erlc beam of ejabberd 23.01 is under 2 MiB; 64 MiB leaves room for anything generated. */
export const DEFAULT_MAX_BEAM_BYTES = 64 * 1024 * 1024;
export const DEFAULT_BEAM_READ_TIMEOUT_MS = 10_000;

/** Never blocks on open (a FIFO swapped in after the lstat), never becomes our controlling terminal. */
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY;

/**
 * A reader bound by `limits`: only a regular file (or a symlink to one) is
 * opened, checked by lstat/stat before the open and by fstat after it; the
 * read stops at the length the header declares (+8), and one declaring more
 * than `maxBytes` is refused after its 12 header bytes. A FIFO, device,
 * socket, directory or dangling link named `*.beam` is refused at once
 * (ERR_BEAM_UNREADABLE, not retryable) with its kind, never opened.
 */
export function boundedFileReader(limits: BeamReadLimits): FileReader {
	return async path => withDeadline(readBeamFile(path, limits.maxBytes), limits.timeoutMs, () => readTimedOut(path, limits.timeoutMs));
}

/** One lstat, one open, one fstat, then at most the declared length, through one descriptor (see boundedFileReader). */
export const readFileOnce: FileReader = boundedFileReader({maxBytes: DEFAULT_MAX_BEAM_BYTES, timeoutMs: DEFAULT_BEAM_READ_TIMEOUT_MS});

async function readBeamFile(path: string, maxBytes: number): Promise<FileContent | undefined> {
	const linkStats = await lstat(path).catch((error: unknown) => missingOr(path, error));
	if (linkStats === undefined) {
		return undefined;
	}
	const viaLink = linkStats.isSymbolicLink();
	let target = linkStats;
	if (viaLink) {
		try {
			target = await stat(path);
		} catch (error) {
			const errno = errnoOf(error);
			if (errno === 'ENOENT' || errno === 'ENOTDIR' || errno === 'ELOOP') {
				throw notRegular(path, errno === 'ELOOP' ? 'a symbolic link in a loop' : 'a dangling symbolic link');
			}
			throw unreadable(path, error);
		}
	}
	checkKind(path, target, viaLink);
	let handle: FileHandle;
	try {
		handle = await open(path, OPEN_FLAGS);
	} catch (error) {
		return missingOr(path, error);
	}
	try {
		// The path may have been replaced between the stat and the open: what counts is what was opened.
		const stats = await handle.stat();
		checkKind(path, stats, viaLink);
		const header = await readRange(handle, Buffer.alloc(BEAM_HEADER_SIZE), 0);
		const declared = declaredSize(header);
		if (declared === undefined) {
			// Shorter than a header (being written), or no beam at all: nothing past the header is worth reading.
			return header.byteLength < BEAM_HEADER_SIZE ? {bytes: header, mtimeMs: stats.mtimeMs} : {bytes: header, mtimeMs: stats.mtimeMs, size: Math.max(stats.size, header.byteLength)};
		}
		if (declared > maxBytes) {
			throw tooLarge(path, declared, maxBytes);
		}
		const buffer = Buffer.alloc(declared);
		header.copy(buffer);
		const bytes = header.byteLength < BEAM_HEADER_SIZE ? header : await readRange(handle, buffer, header.byteLength);
		// Stopped at the declared length: the file may hold more, which makes it no beam; its size tells.
		return bytes.byteLength === declared ? {bytes, mtimeMs: stats.mtimeMs, size: Math.max(stats.size, declared)} : {bytes, mtimeMs: stats.mtimeMs};
	} catch (error) {
		throw error instanceof ReloaderError ? error : unreadable(path, error);
	} finally {
		await handle.close().catch(() => undefined);
	}
}

/** `FOR1`, a length, `BEAM`: the whole file's size the header declares; undefined for a short or foreign header. */
function declaredSize(header: Buffer): number | undefined {
	if (header.byteLength < BEAM_HEADER_SIZE || header.toString('latin1', 0, 4) !== 'FOR1' || header.toString('latin1', 8, 12) !== 'BEAM') {
		return undefined;
	}
	return Math.max(header.readUInt32BE(4) + 8, BEAM_HEADER_SIZE);
}

function missingOr(path: string, error: unknown): undefined {
	if (errnoOf(error) === 'ENOENT') {
		return undefined;
	}
	throw unreadable(path, error);
}

function checkKind(path: string, stats: Stats, viaLink: boolean): void {
	const kind = kindOf(stats);
	if (kind !== 'regular file') {
		throw notRegular(path, `${viaLink ? 'a symbolic link to ' : ''}a ${kind}`);
	}
}
