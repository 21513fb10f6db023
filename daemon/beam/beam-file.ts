import {ReloaderError} from '../errors.ts';

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
