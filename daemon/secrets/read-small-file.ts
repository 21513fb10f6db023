import {constants, type Stats} from 'node:fs';
import {lstat, open, stat} from 'node:fs/promises';
import {readRange, withDeadline} from '../files/bounded-read.ts';
import {formatSize, kindOf} from '../files/file-facts.ts';

/**
 * Small files the daemon reads whole (a secret, the config) are read through
 * here, bounded three ways: only a regular file is opened (a FIFO would block
 * the read forever, `/dev/zero` never ends), one larger than the limit is
 * refused by its size without reading a byte, and a read that does not finish
 * within the deadline is given up.
 */
export interface SmallFileOptions {
	/** Larger files are refused unread. */
	readonly maxBytes: number;
	/** A read still running after this long is given up (a hung network file system). */
	readonly timeoutMs: number;
}

export interface SmallFile {
	readonly bytes: Buffer;
	/** fstat of the descriptor the bytes came from (a symlink's target). */
	readonly stats: Stats;
}

export type SmallFileErrorCode = 'ERR_FILE_KIND' | 'ERR_FILE_TOO_LARGE' | 'ERR_FILE_READ_TIMEOUT';

/**
 * Like an fs error, the message is only the reason (`it is a FIFO, not a
 * regular file`): the caller knows what the file was for and says so, e.g.
 * "Cannot read the Erlang cookie file /x: it is a FIFO, not a regular file".
 * It never holds the file's content.
 */
export class SmallFileError extends Error {
	readonly code: SmallFileErrorCode;
	readonly path: string;

	constructor(code: SmallFileErrorCode, path: string, message: string) {
		super(message);
		this.name = 'SmallFileError';
		this.code = code;
		this.path = path;
	}
}

/** Never blocks on open (a FIFO without a writer), never becomes our controlling terminal. */
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY;

/**
 * Read a whole small regular file (a symlink to one is fine). Throws fs
 * errors as they are, and SmallFileError. The deadline covers the stat and
 * the open too: on a hung file system those hang as well.
 */
export async function readSmallFile(file: string, options: SmallFileOptions): Promise<SmallFile> {
	// On timeout the work goes on in the background and closes its descriptor when the system lets it.
	return withDeadline(readBounded(file, options.maxBytes), options.timeoutMs, () => new SmallFileError('ERR_FILE_READ_TIMEOUT', file, `reading it did not finish within ${options.timeoutMs} ms (a hung network file system?)`));
}

async function readBounded(file: string, maxBytes: number): Promise<SmallFile> {
	const linkStats = await lstat(file);
	const viaLink = linkStats.isSymbolicLink();
	const target = viaLink ? await stat(file) : linkStats;
	checkKind(file, target, viaLink);
	checkSize(file, target.size, maxBytes);
	const handle = await open(file, OPEN_FLAGS);
	try {
		// The path may have been replaced between the stat and the open: what counts is what was opened.
		const opened = await handle.stat();
		checkKind(file, opened, viaLink);
		checkSize(file, opened.size, maxBytes);
		const bytes = await readRange(handle, Buffer.alloc(maxBytes + 1), 0);
		// It grew after the fstat (or it is a /proc file, whose size says 0).
		checkSize(file, bytes.byteLength, maxBytes);
		return {bytes, stats: opened};
	} finally {
		await handle.close();
	}
}

function checkKind(file: string, stats: Stats, viaLink: boolean): void {
	const kind = kindOf(stats);
	if (kind !== 'regular file') {
		throw new SmallFileError('ERR_FILE_KIND', file, `it is ${viaLink ? 'a symbolic link to ' : ''}a ${kind}, not a regular file`);
	}
}

function checkSize(file: string, size: number, maxBytes: number): void {
	if (size > maxBytes) {
		throw new SmallFileError('ERR_FILE_TOO_LARGE', file, `it holds ${formatSize(size)}, more than the ${formatSize(maxBytes)} such a file may hold; it was not read`);
	}
}
