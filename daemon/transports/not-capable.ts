import {ReloaderError} from '../errors.ts';
import type {TransportCapabilities} from './capabilities.ts';
import type {Transport, TransportKind} from './transport.ts';

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

/**
 * What a transport without a held distribution connection (ctl, http) answers
 * for the abilities only `dist` declares: each refuses, naming the capability,
 * so a plan that asked anyway fails loudly instead of silently doing less.
 */
export abstract class WithoutCodeAccess implements Pick<Transport, 'moduleStates' | 'codeDirectory' | 'codeLocations' | 'incarnation' | 'onDisconnect' | 'loadBeam' | 'oldCodeHolders' | 'compileModule'> {
	abstract readonly kind: TransportKind;

	moduleStates(): Promise<never> {
		return notCapable(this.kind, 'verifyByContent', 'ask which code the node runs');
	}

	codeDirectory(): Promise<never> {
		return notCapable(this.kind, 'codeDirectory', 'ask the node where its code is');
	}

	codeLocations(): Promise<never> {
		return notCapable(this.kind, 'codeDirectory', 'ask the node where its code is');
	}

	/** Unknown without a held connection. */
	incarnation(): undefined {
		return undefined;
	}

	/** No connection is held between calls: nothing to be told about. */
	onDisconnect(): void {
		// A node that goes away shows when the next call fails.
	}

	loadBeam(): Promise<never> {
		return notCapable(this.kind, 'loadBeam', 'load a beam directly');
	}

	oldCodeHolders(): Promise<never> {
		return notCapable(this.kind, 'oldCodeHolders', 'see which processes run old code');
	}

	compileModule(): Promise<never> {
		return notCapable(this.kind, 'compileModule', 'compile with the node\'s own compiler');
	}
}
