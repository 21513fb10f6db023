import type {ResolvedConfig} from '../../config/schema.ts';
import {createTransport} from '../../transports/create-transport.ts';

/** What update_info reports: the loaded modules whose beam on disk differs. Changes nothing. */
export async function infoCommand(config: ResolvedConfig): Promise<number> {
	const transport = await createTransport(config, message => console.error(`ejabberd-reloader: warning: ${message}`));
	try {
		const info = await transport.updateInfo();
		console.log(JSON.stringify({node: transport.node, transport: transport.kind, modules: info.modules}, null, 2));
		return 0;
	} finally {
		await transport.close();
	}
}
