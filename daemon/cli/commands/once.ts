import type {ResolvedConfig} from '../../config/schema.ts';
import {Daemon} from '../../daemon.ts';
import {createRecordLogger} from '../../log/create-logger.ts';
import {openNode} from '../../open-node.ts';
import {EXIT_FAILURE, EXIT_OK} from '../exit-codes.ts';

/** One reconcile pass: update every module update_info lists, print the record as JSON. */
export async function onceCommand(config: ResolvedConfig): Promise<number> {
	const logger = createRecordLogger(config.log);
	const {transport, directories, index} = await openNode(config, record => logger.log(record));
	const daemon = new Daemon({config, transport, directories, index, report: record => {
		if (record.event !== 'batch' && record.event !== 'stop') {
			logger.log(record);
		}
	}});
	try {
		const record = await daemon.reconcile('once');
		console.log(JSON.stringify(record, null, 2));
		return record.ok ? EXIT_OK : EXIT_FAILURE;
	} finally {
		await daemon.close('once done');
		await logger.close();
	}
}
