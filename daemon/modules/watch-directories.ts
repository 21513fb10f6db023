import {stat} from 'node:fs/promises';
import type {ResolvedConfig} from '../config/schema.ts';
import {findEjabberdInstall} from '../ejabberd/ejabberd-install.ts';
import {ReloaderError, errorMessage} from '../errors.ts';
import type {Transport} from '../transports/transport.ts';

/**
 * The directories to watch: as configured, or with `auto` the directory
 * update_info scans. The node is asked where that is when the transport can
 * ask (`dist`); otherwise, or while the node is down, it is the ebin of the
 * installed ejabberd. Each must exist now: a typo would otherwise watch
 * nothing, silently.
 */
export async function resolveWatchDirectories(config: ResolvedConfig, transport: Transport, onWarning: (message: string) => void): Promise<readonly string[]> {
	const directories = config.watch === 'auto' ? [await autoDirectory(transport, onWarning)] : config.watch;
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

async function autoDirectory(transport: Transport, onWarning: (message: string) => void): Promise<string> {
	if (transport.capabilities.codeDirectory) {
		try {
			return await transport.codeDirectory();
		} catch (error) {
			onWarning(`Could not ask ${transport.node} where ejabberd's code is (${errorMessage(error)}); watching the installed ejabberd's ebin instead`);
		}
	}
	return (await findEjabberdInstall()).ebinDir;
}
