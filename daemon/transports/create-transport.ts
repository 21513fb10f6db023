import type {ResolvedConfig} from '../config/schema.ts';
import {ReloaderError} from '../errors.ts';
import {CtlTransport} from './ctl/ctl-transport.ts';
import type {Transport} from './transport.ts';

export function createTransport(config: ResolvedConfig): Transport {
	switch (config.transport) {
		case 'ctl': {
			return new CtlTransport({command: config.ctl.command, node: config.node, timeoutMs: config.ctl.timeoutMs});
		}
		default: {
			throw new ReloaderError('ERR_CONFIG_INVALID', `transport: \`${config.transport}\` is not available yet`);
		}
	}
}
