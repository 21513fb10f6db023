import type {ResolvedConfig} from '../../config/schema.ts';
import {createCliService} from '../cli-service.ts';

/** What update_info reports after the init step: the loaded modules whose beam on disk differs. Reloads nothing. */
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
