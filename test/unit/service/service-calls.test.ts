import test from 'ava';
import type {Daemon} from '../../../daemon/daemon.ts';
import type {Trigger} from '../../../daemon/reloader/batch-record.ts';
import type {ForwardsEveryParameter, ServiceCalls} from '../../../daemon/service-calls.ts';

/** A wrapper that passes every argument on, as the service does. */
function forwarding(daemon: ServiceCalls) {
	return {
		reconcile: async (...args: Parameters<Daemon['reconcile']>) => daemon.reconcile(...args),
		update: async (...args: Parameters<Daemon['update']>) => daemon.update(...args),
		updateInfo: async (...args: Parameters<Daemon['updateInfo']>) => daemon.updateInfo(...args),
		status: () => daemon.status(),
		index: daemon.index,
	};
}

/** The wrapper that dropped `nodes` from GET /update-modules/all?nodes=: its reconcile takes the trigger only. */
function dropping(daemon: ServiceCalls) {
	return {...forwarding(daemon), reconcile: async (trigger: Trigger) => daemon.reconcile(trigger)};
}

// Checked by `npm run typecheck` (tsc reads the tests too): the first compiles, the second must not.
export function checked(daemon: ServiceCalls): readonly unknown[] {
	const kept = forwarding(daemon) satisfies ForwardsEveryParameter<ReturnType<typeof forwarding>>;
	// @ts-expect-error A call with fewer parameters than the Daemon's is assignable to ServiceCalls, but not ForwardsEveryParameter.
	const dropped = dropping(daemon) satisfies ForwardsEveryParameter<ReturnType<typeof dropping>>;
	return [kept, dropped];
}

test('a wrapper that drops a parameter is still assignable to the calls\' type: why the service is checked with ForwardsEveryParameter', t => {
	// At run time there is nothing to see; the type checks above are the test. This one documents the hole they close.
	const assignable: ServiceCalls = dropping({} as ServiceCalls);
	t.is(typeof assignable.reconcile, 'function');
});
