import {ReloaderError, escapeUntrusted, quoteUntrusted} from '../errors.ts';
import {formatSize} from '../files/file-facts.ts';

/** Why a beam file could not be read, for the settle step's single read. */
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
	EMFILE: 'Too many open files: raise the limit (ulimit -n) or watch fewer directories; the read is retried until it succeeds.',
	ENFILE: 'The system is out of file descriptors; the read is retried until it succeeds.',
};

/** Errors that can go away by themselves: the settle step retries these with a backoff, never gives up. */
const TRANSIENT = new Set(['EMFILE', 'ENFILE', 'EAGAIN', 'EBUSY', 'EINTR']);

/** A path in a message: file names are not ours, so control characters are escaped. */
export function shownPath(path: string): string {
	return quoteUntrusted(path, 300);
}

export function unreadable(path: string, error: unknown): ReloaderError {
	const errno = errnoOf(error) ?? 'unknown error';
	// Node's fs messages hold only the errno text and the path, never file content.
	const detail = error instanceof Error ? error.message : String(error);
	return new ReloaderError('ERR_BEAM_UNREADABLE', `Cannot read beam file ${shownPath(path)} (${errno}): ${escapeUntrusted(detail, 300)}`, {
		cause: error,
		retryable: TRANSIENT.has(errno),
		hint: HINTS[errno] ?? 'Check that the path is a readable regular file.',
	});
}

/** A FIFO, device, socket, directory or dangling link named `*.beam`: never opened, so never a hang or an endless read. */
export function notRegular(path: string, what: string): ReloaderError {
	return new ReloaderError('ERR_BEAM_UNREADABLE', `${shownPath(path)} is ${what}, not a regular file; skipped, never opened`, {
		hint: 'Only beams erlc wrote belong in an ebin directory; remove it (ejabberd_update\'s scan also turns its name into an atom on the node).',
	});
}

/** A header that declares more than `maxBeamBytes`: refused after its 12 header bytes. */
export function tooLarge(path: string, declared: number, maxBytes: number): ReloaderError {
	return new ReloaderError('ERR_BEAM_INVALID', `${shownPath(path)} declares ${formatSize(declared)} in its beam header, more than maxBeamBytes (${formatSize(maxBytes)}); skipped, not read`, {
		hint: 'No erlc beam is that large: check what wrote it, or raise maxBeamBytes if it really is a beam.',
	});
}

export function readTimedOut(path: string, timeoutMs: number): ReloaderError {
	return new ReloaderError('ERR_BEAM_UNREADABLE', `Reading ${shownPath(path)} did not finish within ${timeoutMs} ms (a hung network file system?); skipped`, {
		hint: 'Check the file system the ebin lives on; the next write of the file is read again.',
	});
}
