import {createHash} from 'node:crypto';
import {constants} from 'node:fs';
import {open} from 'node:fs/promises';
import {ReloaderError, errorMessage} from '../errors.ts';
import {readRange, withDeadline} from '../files/bounded-read.ts';
import {kindOf} from '../files/file-facts.ts';

/** A source file as one read found it. */
export interface SourceContent {
	readonly text: string;
	/** MD5 of the bytes: a save that wrote the same bytes again is no change. */
	readonly digest: string;
}

/** The largest source read: ejabberd's largest `.erl` is under 300 KiB; generated code may be bigger, a hostile file is not read whole. */
export const MAX_SOURCE_BYTES = 8 * 1024 * 1024;
/** A read still running after this long (a hung network mount) is given up, not waited on forever. */
const READ_TIMEOUT_MS = 10_000;
/** Never blocks on open (a FIFO named `x.erl`), never becomes our controlling terminal. */
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY;

/**
 * Read a source once, through one descriptor: only a regular file (or a link
 * to one) up to MAX_SOURCE_BYTES; undefined when there is no file (removed,
 * or renamed away mid-save). Anything else throws ERR_SOURCE_UNREADABLE.
 */
export async function readSource(path: string): Promise<SourceContent | undefined> {
	return withDeadline(readOnce(path), READ_TIMEOUT_MS, () => new ReloaderError('ERR_SOURCE_UNREADABLE', `Reading the source ${JSON.stringify(path)} took over ${READ_TIMEOUT_MS} ms; it is not compiled`, {
		retryable: true,
		hint: 'Check the file system it is on (a hung network mount?); the next save tries again.',
	}));
}

async function readOnce(path: string): Promise<SourceContent | undefined> {
	let handle;
	try {
		handle = await open(path, OPEN_FLAGS);
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
			return undefined;
		}
		throw unreadableSource(path, errorMessage(error));
	}
	try {
		const stats = await handle.stat();
		if (!stats.isFile()) {
			throw unreadableSource(path, `it is a ${kindOf(stats)}, not a regular file`);
		}
		if (stats.size > MAX_SOURCE_BYTES) {
			throw unreadableSource(path, `it holds ${stats.size} bytes, more than the ${MAX_SOURCE_BYTES} a source may`);
		}
		const bytes = await readRange(handle, Buffer.alloc(stats.size), 0);
		return {text: bytes.toString('utf8'), digest: createHash('md5').update(bytes).digest('hex')};
	} finally {
		await handle.close();
	}
}

function unreadableSource(path: string, why: string): ReloaderError {
	return new ReloaderError('ERR_SOURCE_UNREADABLE', `Cannot read the source ${JSON.stringify(path)}: ${why}; it is not compiled`, {
		hint: 'Only Erlang sources belong in a source directory; fix or remove the file.',
	});
}
