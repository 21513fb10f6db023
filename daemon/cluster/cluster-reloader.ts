import {join} from 'node:path';
import {performance} from 'node:perf_hooks';
import type {BeamChange} from '../batcher/batch.ts';
import {beamReader, type BeamReader} from '../beam/beam-snapshot.ts';
import {errorMessage, isRetryable, ReloaderError} from '../errors.ts';
import {ALL_MODULES} from '../ledger/ledger.ts';
import type {BatchRecord, FailedModule} from '../reloader/batch-record.ts';
import type {BatchReloaderContext} from '../daemon-options.ts';
import type {BatchReloader, MemberStatus} from '../reloader/batch-reloader.ts';
import {checkBeams, restrictCheck} from '../reloader/check-beams.ts';
import {batchPurge, type ReloadPlan} from '../reloader/reload-plan.ts';
import {Reloader, type ReloaderOptions, type ReloadRequest} from '../reloader/reloader.ts';
import type {ModuleState, NodeVersions} from '../transports/transport.ts';
import type {ClusterMember} from './cluster-member.ts';
import type {ClusterMembers} from './cluster-members.ts';
import {clusterRecord, failedRecord, memberEntry, type MemberResult} from './cluster-record.ts';
import {caughtUpChanges} from './lag-catch-up.ts';
import {awaitDiskAgreement, type DiskAgreement, type DiskAgreementOptions} from './disk-agreement.ts';
import {MemberIndex} from './member-index.ts';

export interface ClusterSettings {
	readonly strategy: 'parallel' | 'rolling';
	readonly syncTimeoutMs: number;
	readonly onLag: 'fail' | 'loadReady';
	readonly pollMs: number;
}

/** The daemon's context (its `options` build each member's Reloader: purge, settle and hazard rules), the members and the settings. */
export interface ClusterReloaderOptions extends Omit<BatchReloaderContext, 'transport'> {
	readonly members: ClusterMembers;
	readonly settings: ClusterSettings;
	/** The configuration's plan (made once by the pipeline): every member's Reloader follows it, and the records say the purge it gives. */
	readonly plan: ReloadPlan;
}

/**
 * A batch on every member of a cluster, as one:
 * 1. each targeted member is made ready (init step after a reconnect);
 * 2. disk agreement: every member's own disk must hold the beams the daemon
 *    saw complete, waited for up to syncTimeoutMs (see awaitDiskAgreement);
 *    past it, `onLag: fail` loads nothing anywhere;
 * 3. rollout: each ready member runs the batch through its own Reloader
 *    (update_info, update, verify by MD5), all at once (`parallel`) or one
 *    after another, stopping at the first member where a module fails
 *    (`rolling`);
 * 4. one record, each member's outcome in `nodes`.
 * A member unreachable before or during the batch is reported so and
 * reconciled when it comes back (an `all` batch on it alone).
 */
export class ClusterReloader implements BatchReloader {
	readonly #options: ClusterReloaderOptions;
	readonly #reloaders = new Map<ClusterMember, Reloader>();
	#versions: NodeVersions = {};
	#timer: NodeJS.Timeout | undefined;
	/** The scan-hazard looks of the running batch, shared by its members' Reloaders (they all look at the daemon's one directory). */
	#batchHazards = new Map<string, Promise<readonly string[]>>();
	readonly kind = 'cluster';

	constructor(options: ClusterReloaderOptions) {
		this.#options = options;
		options.members.onMember((node, why) => {
			options.owe({module: ALL_MODULES, at: Date.now(), reason: why, trigger: why, nodes: [node]});
		});
	}

	/** The daemon's beam reader (each beam a batch names is read once). */
	get #readBeam(): BeamReader {
		return this.#options.options.readBeam ?? beamReader();
	}

	get versions(): NodeVersions {
		return this.#versions;
	}

	noteVersions(versions: NodeVersions | undefined): void {
		this.#versions = Object.freeze({...versions});
	}

	/** Every pollMs: follow the membership, try unreachable members, and look whether a lagging disk caught up. */
	start(): void {
		const {members, settings, signal} = this.#options;
		this.#timer ??= setInterval(() => {
			void members.refresh(signal).then(async () => this.#catchUp(signal)).catch(() => {
				// Each member's failure is reported by the members themselves; a catch-up is tried again next time.
			});
		}, settings.pollMs);
		this.#timer.unref();
	}

	/** Once every lagging disk holds a module's beam, that module is owed on every member (see caughtUpChanges); owed again, it is still owed once. */
	async #catchUp(signal: AbortSignal): Promise<void> {
		for (const change of await caughtUpChanges(this.#options.members.list(), this.#options.index, this.#readBeam, signal)) {
			this.#options.owe({...change, reason: 'lag', trigger: 'caughtUp'});
		}
	}

	async close(): Promise<void> {
		clearInterval(this.#timer);
	}

	members(): readonly MemberStatus[] {
		return this.#options.members.list().map(member => member.status());
	}

	checkNodes(nodes: readonly string[]): void {
		const known = this.#options.members.list().map(member => member.node);
		const unknown = nodes.filter(node => !known.includes(node));
		if (unknown.length > 0) {
			throw new ReloaderError('ERR_NODE_UNKNOWN', `${unknown.map(node => JSON.stringify(node)).join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not a member of the cluster (members: ${known.join(', ')})`, {
				hint: 'Name members exactly as /status lists them, or leave `nodes` out to update every member.',
			});
		}
	}

	async reload(request: ReloadRequest, signal?: AbortSignal): Promise<BatchRecord> {
		this.#batchHazards = new Map();
		const start = performance.now();
		const startedAt = Date.now();
		const targets = this.#options.members.list().filter(member => request.nodes?.includes(member.node) ?? true);
		const unreachable = new Map<ClusterMember, string>();
		await Promise.all(targets.map(async member => {
			const known = member.status();
			if (!known.connected && known.reason !== undefined) {
				// Known to be down: tried again every pollMs (and reconciled then), not here, where a dead host would hold every batch for a connect timeout.
				unreachable.set(member, known.reason);
				return;
			}
			try {
				await member.ready(signal);
			} catch (error) {
				// Refused (a wrong cookie) or away: either way this member cannot take the batch; the others can.
				unreachable.set(member, errorMessage(error));
			}
		}));
		const reachable = targets.filter(member => !unreachable.has(member));
		if (reachable.length === 0 && request.nodes === undefined) {
			// The whole cluster is away: the daemon waits for it like for a single node, and hands the batch back.
			throw new ReloaderError('ERR_NODE_DOWN', `No member of the cluster is reachable (${[...unreachable].map(([member, reason]) => `${member.node}: ${reason}`).join('; ')})`, {retryable: true});
		}

		const asked = await this.#changesOf(request, reachable, signal);
		const unknown = asked.unknown;
		let changes = asked.changes;
		let check = await checkBeams(changes, this.#readBeam);
		if (isReconcile(request)) {
			// A member catching up goes to the code the cluster runs, never ahead of it.
			changes = await this.#behindTheCluster(changes, check, targets, signal);
			check = restrictCheck(check, new Set(changes.map(({module}) => module)));
		}
		const expected = new Map([...check.versions].map(([module, snapshot]) => [module, {location: {module, path: snapshot.path}, md5: snapshot.codeMd5}]));
		const syncStart = performance.now();
		const agreement = await this.#agree(request.id, reachable, expected, signal);
		const syncMs = Math.round(performance.now() - syncStart);
		for (const [member, error] of agreement.unreachable) {
			unreachable.set(member, errorMessage(error));
		}

		const {onLag, strategy, syncTimeoutMs} = this.#options.settings;
		const lagging = [...agreement.lagging.keys()].map(member => member.node);
		const halted = lagging.length > 0 && onLag === 'fail'
			? `nothing was loaded on any node: the disk of ${lagging.join(', ')} did not hold the daemon's beam within cluster.syncTimeoutMs (${syncTimeoutMs} ms); cluster.onLag: fail`
			: undefined;
		// What goes to each member: only beams the daemon saw complete, each with its snapshot (read once, never again).
		const ready = changes.flatMap(change => {
			const snapshot = check.versions.get(change.module);
			return snapshot === undefined ? [] : [{...change, snapshot}];
		});
		const results = new Map<ClusterMember, MemberResult>();
		for (const [member, reason] of unreachable) {
			this.#options.members.markDown(member, reason);
			results.set(member, {state: 'unreachable', reason});
		}
		for (const [member, mismatches] of agreement.lagging) {
			results.set(member, {state: 'lagging', mismatches, waitedMs: agreement.waitedMs});
		}
		const runnable = reachable.filter(member => agreement.ready.has(member));
		if (halted === undefined) {
			await this.#rollout(strategy, runnable, {...request, changes: ready}, agreement.ready, results, signal);
		} else {
			for (const member of runnable) {
				results.set(member, {state: 'skipped', reason: `${lagging.join(', ')} lagged (cluster.onLag: fail)`});
			}
		}

		const entries = targets.map(member => memberEntry(member.node, member.versions, results.get(member) ?? {state: 'skipped', reason: 'not reached'}, agreement.answers.get(member)));
		const record = clusterRecord({
			id: request.id,
			trigger: request.trigger,
			node: this.#options.members.primary,
			versions: this.#versions,
			purge: batchPurge(this.#options.plan, request.purge),
			modules: changes.map(({module}) => module),
			deferred: [...check.deferred],
			failed: [...[...check.rejected].map(([module, reason]): FailedModule => ({module, reason})), ...unknown],
			...(halted === undefined ? {} : {halted}),
			members: entries,
			durations: {
				waitMs: request.firstChangeAt === undefined ? 0 : Math.max(0, startedAt - request.firstChangeAt),
				syncMs,
				totalMs: Math.round((performance.now() - start) * 10) / 10,
			},
		});
		this.#noteLag(record, targets, changes.map(({module}) => module));
		return record;
	}

	/**
	 * The batch's beams. `all` (and a reconcile): what update_info lists on
	 * any targeted member, plus what each lags behind in, each at its beam in
	 * the daemon's index; a listed module the daemon has no beam of is not
	 * loaded (the daemon cannot check what a member's disk holds against it).
	 */
	async #changesOf(request: ReloadRequest, members: readonly ClusterMember[], signal?: AbortSignal): Promise<{changes: readonly BeamChange[]; unknown: FailedModule[]}> {
		if (request.changes !== undefined) {
			return {changes: request.changes, unknown: []};
		}
		const listed = new Map<string, string>();
		await Promise.all(members.map(async member => {
			try {
				const info = await member.transport.updateInfo(signal);
				for (const module of info.modules) {
					listed.set(module, member.node);
				}
			} catch (error) {
				if (!isRetryable(error)) {
					throw error;
				}
				// Unreachable: the agreement step finds it so.
			}
			for (const module of member.lagging) {
				listed.set(module, listed.get(module) ?? member.node);
			}
		}));
		const at = Date.now();
		const changes: BeamChange[] = [];
		const unknown: FailedModule[] = [];
		for (const [module, node] of [...listed].sort(([a], [b]) => a.localeCompare(b))) {
			const path = this.#options.index.get(module)?.path;
			if (path === undefined) {
				unknown.push({module, node, reason: `update_info on ${node} lists it, and no watched directory holds its beam (${join('<ebin>', `${module}.beam`)}): the daemon cannot check that node's disk against a beam it saw, so it is not loaded`});
			} else {
				changes.push({module, path, at});
			}
		}
		return {changes, unknown};
	}

	/**
	 * A reconcile's modules that the rest of the cluster runs the daemon's
	 * beam of (or has not loaded, so loads it from disk on first use): the
	 * member is behind in those. A module the others still run older code
	 * of is left as it is: a member that comes back must not move ahead of
	 * the cluster. With no other member reachable, the disk decides alone.
	 */
	async #behindTheCluster(changes: readonly BeamChange[], check: Awaited<ReturnType<typeof checkBeams>>, targets: readonly ClusterMember[], signal?: AbortSignal): Promise<BeamChange[]> {
		const others = this.#options.members.list().filter(member => member.connected && !targets.includes(member));
		const locations = changes.filter(({module}) => check.versions.has(module)).map(({module, path}) => ({module, path}));
		const answers = await Promise.all(others.map(async member => member.states(locations, signal).catch(() => undefined)));
		return changes.filter(({module}) => answers.every(states => {
			const state = states?.get(module);
			return states === undefined || state === undefined || !state.loaded || state.loadedMd5 === check.versions.get(module)?.codeMd5;
		}));
	}

	/** Disk agreement among `members`, each waiting and lagging member reported as a `sync` record. */
	async #agree(batch: number, members: readonly ClusterMember[], expected: DiskAgreementOptions<ClusterMember>['expected'], signal?: AbortSignal): Promise<DiskAgreement<ClusterMember>> {
		const {report, settings} = this.#options;
		const agreement = await awaitDiskAgreement({
			members,
			expected,
			timeoutMs: settings.syncTimeoutMs,
			onWaiting: ({node}, modules, waitedMs) => {
				report({event: 'sync', batch, node, state: 'waiting', modules, waitedMs, syncTimeoutMs: settings.syncTimeoutMs});
			},
			signal,
		});
		for (const [{node}, modules] of agreement.lagging) {
			report({event: 'sync', batch, node, state: 'lagging', modules, waitedMs: agreement.waitedMs, syncTimeoutMs: settings.syncTimeoutMs});
		}
		return agreement;
	}

	/** `parallel`: every member at once; `rolling`: one after another, the rest skipped after the first that fails. */
	async #rollout(strategy: ClusterSettings['strategy'], members: readonly ClusterMember[], request: ReloadRequest, states: ReadonlyMap<ClusterMember, ReadonlyMap<string, ModuleState>>, results: Map<ClusterMember, MemberResult>, signal?: AbortSignal): Promise<void> {
		// Each member's answer to the disk agreement is what it ran just before: its Reloader need not ask again.
		const on = (member: ClusterMember): ReloadRequest => ({...request, statesBefore: states.get(member)});
		if (strategy === 'parallel') {
			await Promise.all(members.map(async member => {
				results.set(member, await this.#runOn(member, on(member), signal));
			}));
			return;
		}
		let stoppedAt: string | undefined;
		for (const member of members) {
			if (stoppedAt !== undefined) {
				results.set(member, {state: 'skipped', reason: `the rolling rollout stopped at ${stoppedAt}; this node keeps its old code`});
				continue;
			}
			const result = await this.#runOn(member, on(member), signal);
			results.set(member, result);
			if (result.state !== 'done' || result.record.failed.length > 0 || result.record.outOfReach.length > 0) {
				stoppedAt = member.node;
			}
		}
	}

	/** The batch on one member, through its own Reloader; a member lost meanwhile is unreachable, not a failed batch. */
	async #runOn(member: ClusterMember, request: ReloadRequest, signal?: AbortSignal): Promise<MemberResult> {
		const reloader = this.#reloaderOf(member);
		reloader.noteVersions(member.versions);
		try {
			return {state: 'done', record: await reloader.reload(request, signal)};
		} catch (error) {
			if (isRetryable(error)) {
				this.#options.members.markDown(member, errorMessage(error));
				return {state: 'unreachable', reason: errorMessage(error)};
			}
			const reason = errorMessage(error);
			return {state: 'done', record: failedRecord(request, {node: member.node, transport: member.transport.kind, versions: member.versions}, reason, batchPurge(this.#options.plan, request.purge))};
		}
	}

	#reloaderOf(member: ClusterMember): Reloader {
		let reloader = this.#reloaders.get(member);
		if (reloader === undefined) {
			// Each member has its own index of versions (MemberIndex): members update in parallel.
			reloader = new Reloader(member.transport, new MemberIndex(this.#options.index), this.#memberOptions());
			this.#reloaders.set(member, reloader);
		}
		return reloader;
	}

	/**
	 * The daemon's Reloader options, with the scan-hazard look (a readdir and
	 * an lstat per beam) done once per batch, not once per member: every
	 * member's update_info directory stands for the daemon's one. The settle
	 * wait is the settler's own state, cheap, and must be waited again when
	 * update_info is tried again.
	 */
	#memberOptions(): ReloaderOptions {
		const {options, plan} = this.#options;
		const {scanHazards} = options;
		if (scanHazards === undefined) {
			return {...options, plan};
		}
		return {
			...options,
			plan,
			scanHazards: async (directory: string) => {
				const running = this.#batchHazards.get(directory) ?? scanHazards(directory);
				this.#batchHazards.set(directory, running);
				return running;
			},
		};
	}

	/** Each member now runs the new code of some modules, and lags behind in the others (reconciled later). */
	#noteLag(record: BatchRecord, members: readonly ClusterMember[], modules: readonly string[]): void {
		for (const member of members) {
			const outcome = record.nodes?.[member.node];
			if (outcome === undefined) {
				continue;
			}
			const caughtUp = outcome.state === 'done' ? [...outcome.updated, ...outcome.unchanged, ...outcome.notLoaded] : [];
			const behind = modules.filter(module => !caughtUp.includes(module) && !record.deferred.includes(module));
			// What its disk lacked: its lagging modules, by what the disk had.
			const diskBehind = new Map(outcome.state === 'lagging' ? outcome.failed.map(({module}) => [module, outcome.disk[module] ?? null] as const) : []);
			member.noteBatch(record.id, outcome.state, outcome.ok, caughtUp, behind, diskBehind);
		}
	}
}

/** A batch that brings one member back in line with the cluster (it came back, or joined). */
function isReconcile(request: ReloadRequest): boolean {
	return request.trigger === 'reconnect' || request.trigger === 'join';
}
