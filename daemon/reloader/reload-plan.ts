import {capabilityProblems, type TransportFit} from '../transports/check-capabilities.ts';
import type {PurgeMode, Transport} from '../transports/transport.ts';

/**
 * The steps a batch takes, chosen once per reloader from what the transport
 * declares it can do. Two sets exist today: dist (every step) and ctl/http
 * (update_info and update only); each flag is still read on its own.
 */
export interface ReloadPlan {
	/**
	 * `content`: ask the node what it runs before and after the update and
	 * compare MD5s (verifyByContent); `list`: ask update_info again, a module
	 * still listed was not updated.
	 */
	readonly verify: 'content' | 'list';
	/** Load directly what update_info cannot reach (a beam in another directory) (loadBeam); otherwise report it out of reach. */
	readonly loadDirect: boolean;
	/** Load modules the node never loaded (`loadNew`, which needs loadBeam and verifyByContent to know a module is not loaded). */
	readonly loadNew: boolean;
	/** Ask who runs old code before updating (oldCodeHolders): `soft` holds those modules back, `brutal` reports them as killed. */
	readonly findHolders: boolean;
	readonly purge: PurgeMode;
	/** The options asked for that this transport cannot honour, each with what to change; empty once startup checks passed. */
	readonly unhonoured: readonly string[];
}

/** The options a plan is made for: the configuration's. */
export interface PlanOptions {
	readonly purge: PurgeMode;
	readonly loadNew: boolean;
}

/**
 * The plan of a configuration over its transport, from the configuration's
 * fit (transportFit: worked out once per configuration, and the same one
 * resolveConfig and createTransport judged it by). An option the transport
 * cannot honour has no effect in the plan (soft purge without a way to see
 * holders is ejabberd's brutal purge; loadNew loads nothing) and is listed in
 * `unhonoured`: resolveConfig refuses such options for an explicit transport,
 * and createTransport warns (WARN_TRANSPORT_AUTO) when `transport: auto` fell
 * back to one that lacks them. The pipeline makes it once and hands it to the
 * one node's Reloader, or to the cluster's reloader and each member's.
 */
export function planReload(fit: TransportFit, options: PlanOptions): ReloadPlan {
	const {capabilities} = fit;
	const unhonoured = fit.problems.filter(problem => problem.path === 'purge' || problem.path === 'loadNew');
	const lost = new Set(unhonoured.map(problem => problem.path));
	return Object.freeze({
		verify: capabilities.verifyByContent ? 'content' : 'list',
		loadDirect: capabilities.loadBeam,
		loadNew: options.loadNew && !lost.has('loadNew'),
		findHolders: capabilities.oldCodeHolders,
		purge: lost.has('purge') ? 'brutal' : options.purge,
		unhonoured: Object.freeze(unhonoured.map(problem => problem.message)),
	});
}

/**
 * The plan of a Reloader built on its own, given none (unit tests): its
 * options against its transport's declared capabilities. The pipeline never
 * takes this path: it hands every Reloader the configuration's plan.
 */
export function planForTransport(transport: Pick<Transport, 'kind' | 'capabilities'>, options: PlanOptions): ReloadPlan {
	const {kind, capabilities} = transport;
	return planReload({transport: kind, capabilities, problems: capabilityProblems({transport: kind, purge: options.purge, loadNew: options.loadNew, watch: []}, capabilities)}, options);
}

/**
 * The purge a batch uses: the plan's, or one a request forces (`brutal`,
 * POST /update-modules) where the transport can see holders at all; without
 * that, ejabberd's own brutal purge whatever was asked.
 */
export function batchPurge(plan: ReloadPlan, requested: PurgeMode | undefined): PurgeMode {
	return plan.findHolders ? requested ?? plan.purge : plan.purge;
}
