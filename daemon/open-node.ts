import type {ResolvedConfig} from './config/schema.ts';
import type {BeamIndex} from './modules/beam-index.ts';
import {scanBeams} from './modules/scan-beams.ts';
import {resolveWatchDirectories} from './modules/watch-directories.ts';
import type {DaemonRecord} from './records.ts';
import {createTransport} from './transports/create-transport.ts';
import type {Transport} from './transports/transport.ts';

export interface NodeAccess {
	readonly transport: Transport;
	readonly directories: readonly string[];
	readonly index: BeamIndex;
}

/** Everything a command needs before its first batch: the transport, what to watch, and the beams there now. */
export async function openNode(config: ResolvedConfig, report: (record: DaemonRecord) => void): Promise<NodeAccess> {
	const warn = (code: string) => (message: string) => report({event: 'error', severity: 'warn', code, message});
	const transport = await createTransport(config, warn('WARN_SECRET_FILE'));
	try {
		const directories = await resolveWatchDirectories(config, transport, warn('WARN_WATCH_AUTO'));
		const index = await scanBeams(directories);
		return {transport, directories, index};
	} catch (error) {
		await transport.close();
		throw error;
	}
}
