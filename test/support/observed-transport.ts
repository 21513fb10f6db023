import type {Transport} from '../../daemon/transports/transport.ts';

/**
 * A real transport with a hook before each update, so a test can act while a
 * batch is provably running (write another beam, then let the batch go on).
 * Every call still goes to the real node.
 */
export function observeTransport(inner: Transport, hooks: {beforeUpdate?: (modules: readonly string[]) => Promise<void>}): Transport {
	return {
		kind: inner.kind,
		node: inner.node,
		ensureUpdaterLoaded: signal => inner.ensureUpdaterLoaded(signal),
		updateInfo: signal => inner.updateInfo(signal),
		async update(modules, signal) {
			await hooks.beforeUpdate?.(modules);
			return inner.update(modules, signal);
		},
		close: () => inner.close(),
	};
}
