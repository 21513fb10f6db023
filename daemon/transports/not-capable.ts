import {ReloaderError} from '../errors.ts';
import type {TransportCapabilities} from './capabilities.ts';
import type {TransportKind} from './transport.ts';

/**
 * What a method whose capability is false does: refuse, naming the transport
 * and the capability. Startup refuses every option that would lead here
 * (check-capabilities.ts), so reaching it means a caller skipped the plan.
 */
export function notCapable(kind: TransportKind, capability: keyof TransportCapabilities, what: string): Promise<never> {
	return Promise.reject(new ReloaderError('ERR_CONFIG_INVALID', `transport ${kind} cannot ${what} (capabilities.${capability} is false)`, {
		hint: 'Use transport: dist for this, or remove the option that needs it.',
	}));
}
