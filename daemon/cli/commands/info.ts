import type {ResolvedConfig} from '../../config/schema.ts';
import {createCliService} from '../cli-service.ts';

/**
 * What differs now: update_info's list after the init step, plus the loaded
 * modules of the watched directories beyond update_info's (contrib ebins, over
 * dist) whose loaded MD5 is not their beam's. Loads, purges and kills nothing:
 * the service is started in `oneshot` mode, which never starts the daemon's
 * loop, so the init step's catch-up is only reported (test/integration/info-read-only.test.ts).
 */
export async function infoCommand(config: ResolvedConfig): Promise<number> {
	const service = createCliService(config, {mode: 'oneshot', logFilter: record => record.event !== 'stop'});
	await service.start();
	try {
		const info = await service.updateInfo();
		const {node, transport} = service.status();
		console.log(JSON.stringify({node, transport, modules: info.modules}, null, 2));
		return 0;
	} finally {
		await service.close('info done');
	}
}
