import type {ResolvedConfig} from './config/schema.ts';
import type {BeamIndex} from './modules/beam-index.ts';
import {scanBeams} from './modules/scan-beams.ts';
import {resolveWatchDirectories} from './modules/watch-directories.ts';
import {createTransport} from './transports/create-transport.ts';
import type {Transport} from './transports/transport.ts';

export interface NodeAccess {
	readonly transport: Transport;
	readonly directories: readonly string[];
	readonly index: BeamIndex;
}

/** Everything a command needs before its first call to the node. */
export async function openNode(config: ResolvedConfig): Promise<NodeAccess> {
	const directories = await resolveWatchDirectories(config);
	const index = await scanBeams(directories);
	return {transport: createTransport(config), directories, index};
}
