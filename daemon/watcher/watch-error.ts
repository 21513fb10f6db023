import {ReloaderError} from '../errors.ts';

/**
 * What a watch failure means for the user. Running out of inotify watches or
 * of file descriptors does not stop the daemon, but beams written from then on
 * may go unseen, so the message names the limit and the exact way to raise it.
 */
export function toWatchError(error: unknown, directory: string): ReloaderError {
	const errno: Partial<NodeJS.ErrnoException> = typeof error === 'object' && error !== null ? error : {};
	const where = JSON.stringify(errno.path ?? directory);
	switch (errno.code) {
		case 'ENOSPC': {
			return new ReloaderError('ERR_WATCH', `The system ran out of inotify watches while watching ${where}; new beams may go unseen`, {
				cause: error,
				hint: 'Run: sudo sysctl fs.inotify.max_user_watches=524288 (add it to /etc/sysctl.conf to keep it).',
			});
		}
		case 'EMFILE': {
			return new ReloaderError('ERR_WATCH', `The daemon ran out of file descriptors (too many open files) while watching ${where}; beams written meanwhile are looked for again once descriptors are free`, {
				cause: error,
				hint: 'Raise the limit: `ulimit -n 65536` in the shell that starts the daemon, or `LimitNOFILE=65536` in the [Service] section of its systemd unit, then restart it.',
			});
		}
		case 'ENFILE': {
			return new ReloaderError('ERR_WATCH', `The system ran out of file descriptors while watching ${where}; beams written meanwhile are looked for again once descriptors are free`, {
				cause: error,
				hint: 'Close what holds them, or raise the system limit: sudo sysctl fs.file-max=<more>; then restart the daemon.',
			});
		}
		case 'EACCES':
		case 'EPERM': {
			return new ReloaderError('ERR_WATCH', `Permission denied while watching ${where} (${errno.code}); beams there go unseen`, {
				cause: error,
				hint: 'Give the daemon\'s user read and search permission on the watched directories.',
			});
		}
		default: {
			const detail = error instanceof Error ? error.message : String(error);
			return new ReloaderError('ERR_WATCH', `Watching ${where} failed${errno.code === undefined ? '' : ` (${errno.code})`}: ${detail}`, {
				cause: error,
				hint: 'Check the watched directories exist and are readable.',
			});
		}
	}
}
