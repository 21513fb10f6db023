import {counter} from '../../daemon/batcher/batch-ids.ts';
import type {ResolvedConfig} from '../../daemon/config/schema.ts';
import type {Daemon} from '../../daemon/daemon.ts';
import type {DaemonRecord} from '../../daemon/records.ts';
import {openPipeline} from '../../daemon/service/open-pipeline.ts';
import {createTransport} from '../../daemon/transports/create-transport.ts';
import type {Transport} from '../../daemon/transports/transport.ts';
import {RecentLines, addWitness} from './witness.ts';

/**
 * The pipeline as the service builds it, unstarted, for tests that drive the
 * daemon directly. It is a witness (test/support/witness.ts): a wait that
 * gives up shows its last records, and whether it stopped.
 */
export async function openDaemon(config: ResolvedConfig, report: (record: DaemonRecord) => void, wrapTransport?: (transport: Transport) => Transport): Promise<Daemon> {
	const recent = new RecentLines();
	let stopped: string | undefined;
	const {daemon} = await openPipeline(config, {
		report: record => {
			recent.push(JSON.stringify(record));
			if (record.event === 'stop') {
				stopped = JSON.stringify(record);
			}
			report(record);
		},
		nextId: counter(),
		probe: false,
		createTransport: async (...args) => {
			const transport = await createTransport(...args);
			return wrapTransport === undefined ? transport : wrapTransport(transport);
		},
	});
	addWitness({
		name: `the daemon in this process (${config.transport} to ${config.node})`,
		state: () => stopped === undefined ? `running; ${describeStatus(daemon)}` : `stopped: ${stopped}`,
		recent: () => recent.lines,
	});
	return daemon;
}

function describeStatus(daemon: Daemon): string {
	try {
		const {connected, unsettledBeams, pendingChanges, queuedBatches, runningBatches} = daemon.status();
		return JSON.stringify({connected, unsettledBeams, pendingChanges, queuedBatches, runningBatches});
	} catch (error) {
		return `status() threw ${String(error)}`;
	}
}
