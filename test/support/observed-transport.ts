import type {Transport} from '../../daemon/transports/transport.ts';

/**
 * A real transport with a hook before each update, so a test can act while a
 * batch is provably running (write another beam, then let the batch go on).
 * Every call still goes to the real node, and the capabilities are the real
 * transport's, so the reloader follows the same plan as without the hook.
 */
export function observeTransport(inner: Transport, hooks: {beforeUpdate?: (modules: readonly string[]) => Promise<void>}): Transport {
	return {
		kind: inner.kind,
		node: inner.node,
		capabilities: inner.capabilities,
		ensureUpdaterLoaded: signal => inner.ensureUpdaterLoaded(signal),
		updateInfo: signal => inner.updateInfo(signal),
		async update(modules, signal) {
			await hooks.beforeUpdate?.(modules);
			return inner.update(modules, signal);
		},
		moduleStates: (modules, signal) => inner.moduleStates(modules, signal),
		codeDirectory: signal => inner.codeDirectory(signal),
		codeLocations: signal => inner.codeLocations(signal),
		incarnation: () => inner.incarnation(),
		onDisconnect: listener => inner.onDisconnect(listener),
		loadBeam: (location, purge, signal) => inner.loadBeam(location, purge, signal),
		oldCodeHolders: (modules, signal) => inner.oldCodeHolders(modules, signal),
		compileModule: (request, signal) => inner.compileModule(request, signal),
		close: () => inner.close(),
	};
}
