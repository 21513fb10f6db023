import {ReloaderError} from '../errors.ts';

export const EXIT_OK = 0;
/** A reload failed, or the daemon stopped on an error. */
export const EXIT_FAILURE = 1;
/** Bad configuration or usage: nothing was tried. */
export const EXIT_USAGE = 2;

/** Print an error the way a user can act on it, and give the exit code it calls for. */
export function reportFatal(error: unknown): number {
	if (error instanceof ReloaderError) {
		console.error(`ejabberd-reloader: ${error.message}`);
		if (error.hint !== undefined) {
			console.error(`  what to do: ${error.hint}`);
		}
		return error.code === 'ERR_CONFIG_INVALID' || error.code === 'ERR_CONFIG_READ' ? EXIT_USAGE : EXIT_FAILURE;
	}
	console.error('ejabberd-reloader: unexpected error (please report it):', error);
	return EXIT_FAILURE;
}
