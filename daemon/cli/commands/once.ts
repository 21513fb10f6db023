import type {ResolvedConfig} from '../../config/schema.ts';
import {EXIT_FAILURE, EXIT_OK} from '../exit-codes.ts';
import {createCliService} from '../cli-service.ts';

/** One reconcile pass: the init step, then update every module update_info lists; the record as JSON on stdout. */
export async function onceCommand(config: ResolvedConfig): Promise<number> {
	const service = createCliService(config, {
		mode: 'oneshot',
		// The batch goes to stdout as the answer; the log keeps to what led to it.
		logFilter: record => record.event !== 'batch' && record.event !== 'stop',
	});
	await service.start();
	try {
		const record = await service.reconcile('once');
		console.log(JSON.stringify(record, null, 2));
		return record.ok ? EXIT_OK : EXIT_FAILURE;
	} finally {
		await service.close('once done');
	}
}
