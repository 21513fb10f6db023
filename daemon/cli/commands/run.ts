import type {ResolvedConfig} from '../../config/schema.ts';
import {Daemon} from '../../daemon.ts';
import {createRecordLogger} from '../../log/create-logger.ts';
import {openNode} from '../../open-node.ts';
import {readVersion} from '../read-version.ts';

export interface RunningDaemon {
	readonly daemon: Daemon;
	/** Stops the daemon, then flushes the log. */
	stop(reason: string): Promise<void>;
}

/** Start the daemon with its logger; used by `run` and `sandbox`. */
export async function startDaemon(config: ResolvedConfig): Promise<RunningDaemon> {
	const logger = createRecordLogger(config.log);
	try {
		const {transport, directories, index} = await openNode(config, record => logger.log(record));
		logger.log({event: 'start', version: readVersion(), node: transport.node, transport: transport.kind, debounceMs: config.debounceMs, maxWaitMs: config.maxWaitMs});
		const daemon = new Daemon({config, transport, directories, index, report: record => logger.log(record)});
		await daemon.start();
		return {
			daemon,
			async stop(reason) {
				await daemon.close(reason);
				await logger.close();
			},
		};
	} catch (error) {
		await logger.close();
		throw error;
	}
}

/** Resolve on the first SIGINT/SIGTERM; a second one exits at once. */
export function waitForStopSignal(): Promise<string> {
	return new Promise(resolve => {
		let received = false;
		const onSignal = (signal: NodeJS.Signals) => {
			if (received) {
				process.exit(130);
			}
			received = true;
			resolve(`received ${signal}`);
		};
		process.on('SIGINT', onSignal);
		process.on('SIGTERM', onSignal);
	});
}

export async function runCommand(config: ResolvedConfig): Promise<number> {
	const running = await startDaemon(config);
	const reason = await waitForStopSignal();
	await running.stop(reason);
	return 0;
}
