import {stat} from 'node:fs/promises';
import type {ResolvedConfig} from '../config/schema.ts';
import {ReloaderError} from '../errors.ts';
import {findEjabberdInstall} from '../ejabberd/ejabberd-install.ts';

/**
 * The directories to watch: as configured, or with `auto` the ebin of the
 * installed ejabberd (the one directory update_info scans on a stock node).
 * Each must exist now: a typo would otherwise watch nothing, silently.
 */
export async function resolveWatchDirectories(config: ResolvedConfig): Promise<readonly string[]> {
	const directories = config.watch === 'auto' ? [(await findEjabberdInstall()).ebinDir] : config.watch;
	for (const [position, directory] of directories.entries()) {
		const stats = await stat(directory).catch(() => undefined);
		if (stats?.isDirectory() !== true) {
			throw new ReloaderError('ERR_CONFIG_INVALID', `watch[${position}]: ${directory} is not a directory`, {
				hint: 'Set `watch` to the directory `make install` writes beams into (ejabberd\'s ebin).',
			});
		}
	}
	return directories;
}
