import {CTL_CAPABILITIES, DIST_CAPABILITIES} from '../../daemon/transports/capabilities.ts';
import {notCapable} from '../../daemon/transports/not-capable.ts';
import type {Transport} from '../../daemon/transports/transport.ts';

/**
 * A transport for unit tests: the given members over defaults that answer
 * nothing. The capabilities follow `kind` (dist: all, else none) unless given;
 * a method whose capability is off refuses as a real transport's would.
 */
export function fakeTransport(members: Partial<Transport> & Pick<Transport, 'kind'>): Transport {
	const capabilities = members.capabilities ?? (members.kind === 'dist' ? DIST_CAPABILITIES : CTL_CAPABILITIES);
	const {kind} = members;
	return {
		node: 'fake@localhost',
		capabilities,
		async ensureUpdaterLoaded() {
			return {method: 'fake', wasLoaded: undefined};
		},
		async updateInfo() {
			return {modules: [], raw: ''};
		},
		async update() {
			return {raw: ''};
		},
		moduleStates: async () => (capabilities.verifyByContent ? new Map() : notCapable(kind, 'verifyByContent', 'ask which code the node runs')),
		codeDirectory: async () => (capabilities.codeDirectory ? '/fake/ebin' : notCapable(kind, 'codeDirectory', 'ask the node where its code is')),
		codeLocations: async () => (capabilities.codeDirectory ? {ejabberd: '/fake/ebin', contrib: undefined, loaded: ['/fake/ebin']} : notCapable(kind, 'codeDirectory', 'ask the node where its code is')),
		incarnation: () => undefined,
		onDisconnect() {
			// Nothing is held.
		},
		loadBeam: async () => (capabilities.loadBeam ? undefined : notCapable(kind, 'loadBeam', 'load a beam directly')),
		oldCodeHolders: async () => (capabilities.oldCodeHolders ? new Map() : notCapable(kind, 'oldCodeHolders', 'see which processes run old code')),
		compileModule: async request => (capabilities.compileModule ? {beam: undefined, module: undefined, diagnostics: [], omitted: {errors: 0, warnings: 0}, nodeSource: request.source, applications: []} : notCapable(kind, 'compileModule', 'compile with the node\'s own compiler')),
		async close() {},
		...members,
	};
}
