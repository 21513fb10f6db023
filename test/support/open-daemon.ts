import {counter} from '../../daemon/batcher/batcher.ts';
import type {ResolvedConfig} from '../../daemon/config/schema.ts';
import type {Daemon} from '../../daemon/daemon.ts';
import type {DaemonRecord} from '../../daemon/records.ts';
import {openPipeline} from '../../daemon/service/open-pipeline.ts';
import {createTransport} from '../../daemon/transports/create-transport.ts';
import type {Transport} from '../../daemon/transports/transport.ts';

/** The pipeline as the service builds it, unstarted, for tests that drive the daemon directly. */
export async function openDaemon(config: ResolvedConfig, report: (record: DaemonRecord) => void, wrapTransport?: (transport: Transport) => Transport): Promise<Daemon> {
	const {daemon} = await openPipeline(config, {
		report,
		nextId: counter(),
		probe: false,
		createTransport: async (...args) => {
			const transport = await createTransport(...args);
			return wrapTransport === undefined ? transport : wrapTransport(transport);
		},
	});
	return daemon;
}
