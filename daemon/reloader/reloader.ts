import {dirname, join} from 'node:path';
import {ReloaderError, isRetryable} from '../errors.ts';
import {performance} from 'node:perf_hooks';
import type {BeamChange} from '../batcher/batch.ts';
import {beamReader, type BeamReader} from '../beam/beam-snapshot.ts';
import type {BeamIndex} from '../modules/beam-index.ts';
import {findStaleModules} from '../modules/stale-modules.ts';
import type {HeldProcess, ModuleLocation, ModuleState, NodeVersions, PurgeMode, Transport, UpdateInfo} from '../transports/transport.ts';
import type {BatchRecord, KilledRecord, ModuleHolders, Trigger} from './batch-record.ts';
import {killedRecords, outOfReachHint} from './purge-report.ts';
import {SoftPurgeHolds} from './soft-purge-holds.ts';
import {classifyModules, type Verification} from './classify-modules.ts';
import {checkBeams, type BeamCheck} from './check-beams.ts';
import {batchPurge, planForTransport, type ReloadPlan} from './reload-plan.ts';
import {DirectoryRaces, UPDATE_INFO_TRIES, isDirectoryRace, scanHazardError} from './directory-race.ts';
import {loadBeams, updateModules} from './update-modules.ts';

export interface ReloadRequest {
	readonly id: number;
	readonly trigger: Trigger;
	/** The beams to reload; undefined: every module update_info lists. */
	readonly changes?: readonly BeamChange[];
	/** When the first change of the batch was seen (epoch ms), for the wait duration. */
	readonly firstChangeAt?: number;
	/** Overrides the configured purge for this batch: `brutal` forces modules held back by `purge: soft` (POST /update-modules). */
	readonly purge?: PurgeMode;
	/** In a cluster: only these members (checked against the membership before queuing); undefined: every member. */
	readonly nodes?: readonly string[];
	/** What the node said of the batch's modules just before (a cluster's disk agreement asked it already): not asked again. */
	readonly statesBefore?: ReadonlyMap<string, ModuleState>;
}

export interface ReloaderOptions {
	/** What to do when processes still run a module's old code (needs a transport that can see processes). */
	readonly purge: PurgeMode;
	/** Load changed modules the node never loaded (needs a transport that can load beams). */
	readonly loadNew: boolean;
	/** The configuration's plan (planReload, made once by the pipeline for one node or every cluster member). Default: planned from purge, loadNew and the transport's capabilities. */
	readonly plan?: ReloadPlan;
	/** Reads a beam no one has read yet (asked for by name, or listed for `all`); settled beams come with their snapshot. Default: readBeamSnapshot. */
	readonly readBeam?: BeamReader;
	/**
	 * Waits (within its own deadline) until no beam of update_info's directory
	 * is mid-write: ejabberd_update reads every beam there, not only the
	 * batch's. Default: no wait.
	 */
	readonly settleDirectory?: (directory: string, signal?: AbortSignal) => Promise<void>;
	/**
	 * Entries of update_info's directory its scan cannot survive (a FIFO blocks
	 * it, /dev/zero exhausts the node), described. While there are any,
	 * update_info and update are not called: the batch's changed modules are
	 * loaded directly where the transport can, else the batch fails naming
	 * them. Default: none looked for.
	 */
	readonly scanHazards?: (directory: string) => Promise<readonly string[]>;
	/** How long `purge: soft` may hold a module back before it is reported failed, with its holders. Default: no end. */
	readonly purgeSoftTimeoutMs?: number;
	/** The clock held-back times are measured on (the daemon's). Default: Date.now. */
	readonly now?: () => number;
	/** Told of each module whose update killed processes (a brutal purge): a warning record of its own. */
	readonly onKilled?: (record: KilledRecord) => void;
}

/**
 * One batch against the node: check every beam is complete, update_info,
 * update the listed modules of the batch (and load directly the ones
 * update_info cannot reach, where the transport can), verify, classify.
 * A node that is unreachable throws (retryable) so the caller can hand the
 * batch back; every other failure ends up in the record.
 */
export class Reloader {
	readonly #transport: Transport;
	readonly #index: BeamIndex;
	readonly #options: ReloaderOptions;
	/** Chosen once from the transport's capabilities: what each batch asks, loads and verifies. */
	readonly #steps: ReloadPlan;
	/** Hand-backs of modules whose update failed on a beam of the directory caught mid-write. */
	readonly #races = new DirectoryRaces();
	/** The directory update_info last said it scans. */
	#lastDirectory: string | undefined;
	/** This batch did not call update_info (scanHazards): changed modules of its directory are loaded directly. */
	#bypassed = false;
	/** The node's releases, from the last init step. */
	#versions: NodeVersions = {};
	readonly #holds: SoftPurgeHolds;

	constructor(transport: Transport, index: BeamIndex, options: ReloaderOptions = {purge: 'brutal', loadNew: false}) {
		this.#transport = transport;
		this.#index = index;
		this.#options = options;
		this.#steps = options.plan ?? planForTransport(transport, options);
		this.#holds = new SoftPurgeHolds(options.purgeSoftTimeoutMs, options.now ?? Date.now);
	}

	/** One node: a BatchReloader of kind `node` (no members, nothing in the background). */
	readonly kind = 'node';

	members(): [] {
		return [];
	}

	/** A request that names members asks a cluster; this reloads one node. */
	checkNodes(nodes: readonly string[]): void {
		throw new ReloaderError('ERR_NODE_UNKNOWN', `\`nodes\` names cluster members (got ${nodes.map(node => JSON.stringify(node)).join(', ')}), and this daemon reloads one node (${this.#transport.node}), not a cluster`, {
			hint: 'Leave `nodes` out, or configure `cluster` to reload every member of an ejabberd cluster.',
		});
	}

	start(): void {
		// Nothing runs in the background for one node.
	}

	async close(): Promise<void> {
		// Nothing to stop: the daemon closes the transport.
	}

	/** The node's releases as the last init step read them (empty before it ran). */
	get versions(): NodeVersions {
		return this.#versions;
	}

	/** The init step read the node's releases (after start and every reconnect): later records carry them. */
	noteVersions(versions: NodeVersions | undefined): void {
		this.#versions = Object.freeze({...versions});
	}

	async reload(request: ReloadRequest, signal?: AbortSignal): Promise<BatchRecord> {
		const startedAt = Date.now();
		const start = performance.now();
		const transport = this.#transport;

		// A batch's beams are checked before update_info reads them; for `all`, the
		// listed modules are only known afterwards.
		const read = this.#options.readBeam ?? beamReader();
		let check = request.changes === undefined ? undefined : await checkBeams(request.changes, read);
		const infoStart = performance.now();
		const before = await this.#settledUpdateInfo(read, signal);
		const updateInfoMs = performance.now() - infoStart;
		// `all` also takes the stale modules beyond update_info's directory (a contrib beam rebuilt while nobody watched).
		const changes = request.changes ?? [...this.#locate(before), ...(await findStaleModules({transport, index: this.#index, reach: before.dir ?? this.#index.ejabberdDirectory(), listed: before.modules, read, signal}))];
		check ??= await checkBeams(changes, read);
		const ready = changes.filter(({module}) => check.versions.has(module) || check.unchecked.has(module));
		const statesBefore = this.#steps.verify === 'content' && ready.length > 0 ? await this.#statesBefore(ready, request.statesBefore, signal) : undefined;
		const plan = this.#route(ready, before, statesBefore, check);
		const holders = await this.#holders([...plan.viaUpdate, ...plan.direct.map(({module}) => module)], signal);
		// Forcing `brutal` needs nothing of the transport; `soft` needs holders, which the plan says it can see.
		const purge = batchPurge(this.#steps, request.purge);
		const retried = changes.map(({module}) => module).filter(module => this.#holds.isHeld(module));
		const {heldBack, timedOut} = this.#holds.judge(purge === 'soft' ? holders : new Map());
		const viaUpdate = plan.viaUpdate.filter(module => !heldBack.has(module) && !timedOut.has(module));
		const direct = plan.direct.filter(({module}) => !heldBack.has(module) && !timedOut.has(module));

		const updateStart = performance.now();
		// No settle wait here: what the node runs was read just now (statesBefore), and a wait could outlast it (a restart).
		const update = await updateModules(transport, viaUpdate, signal);
		// Failed on a beam of the directory caught mid-write (not on its own code): handed back, tried again once settled.
		const raced = await this.#races.raced(update.errors, read);
		this.#races.settle(viaUpdate.filter(module => !raced.has(module)));
		const loadErrors = await loadBeams(transport, direct, purge, signal);
		const updateMs = performance.now() - updateStart;

		const attempted = new Set([...viaUpdate, ...direct.map(({module}) => module)]);
		const verifyStart = performance.now();
		const verification = await this.#verify(ready.filter(({module}) => attempted.has(module)), statesBefore, signal);
		const verifyMs = attempted.size === 0 ? 0 : performance.now() - verifyStart;

		const classes = classifyModules({
			modules: changes.map(change => change.module),
			deferred: raced.size === 0 ? check.deferred : new Set([...check.deferred, ...raced]),
			rejected: check.rejected,
			attempted,
			updateErrors: new Map([...update.errors, ...loadErrors]),
			outOfReach: plan.outOfReach,
			heldBack,
			verification,
			expectedMd5: new Map([...check.versions].map(([module, snapshot]) => [module, snapshot.codeMd5])),
			sameVersionAsBefore: this.#sameVersionAsBefore(check),
			keptVsn: this.#keptVsn(check),
			purgeTimedOut: timedOut,
			said: update.said,
		});
		for (const module of [...classes.updated, ...classes.unchanged, ...classes.notLoaded]) {
			const read = check.versions.get(module);
			if (read !== undefined) {
				this.#index.noteVersion(module, read.path, read.vsn, read.codeMd5);
			}
		}
		this.#holds.release(changes.map(change => change.module), classes.heldBack);
		const holdersOf = (modules: readonly string[]): ModuleHolders[] => modules.flatMap(module => {
			const processes = holders.get(module);
			return processes === undefined ? [] : [{module, processes}];
		});
		const killed = purge === 'brutal' ? holdersOf(classes.updated) : [];
		const unpurged = await this.#unpurged(classes.updated, signal);
		const hint = [
			classes.outOfReach.length === 0 ? '' : outOfReachHint(classes.outOfReach, transport.kind, plan.reach),
			classes.heldBack.length === 0 ? '' : `Held back while processes run the old code (purge: soft); to load it anyway and kill them: POST /update-modules {"modules": ${JSON.stringify(classes.heldBack)}, "purge": "brutal"}.`,
		].filter(part => part !== '').join(' ');
		for (const record of killedRecords(request.id, transport.node, killed)) {
			this.#options.onKilled?.(record);
		}

		return {
			event: 'batch',
			id: request.id,
			trigger: request.trigger,
			node: transport.node,
			transport: transport.kind,
			versions: this.#versions,
			ok: classes.failed.length === 0 && classes.outOfReach.length === 0,
			purge,
			retried,
			listed: before.modules,
			...classes,
			holders: holdersOf(classes.heldBack),
			killed,
			verifiedBy: attempted.size === 0 ? 'none' : verification.kind,
			unpurged,
			...(hint === '' ? {} : {hint}),
			raw: {updateInfo: before.raw, ...(viaUpdate.length === 0 ? {} : {update: update.raw})},
			durations: {
				waitMs: request.firstChangeAt === undefined ? 0 : Math.max(0, startedAt - request.firstChangeAt),
				updateInfoMs: round(updateInfoMs),
				updateMs: round(updateMs),
				verifyMs: round(verifyMs),
				totalMs: round(performance.now() - start),
			},
			...(verification.kind === 'content' ? {running: runningCode(changes, statesBefore, verification.after)} : {}),
		};
	}

	/** What the node runs of the ready modules and holds on disk: as the request already knows it, else asked. */
	async #statesBefore(ready: readonly ModuleLocation[], known: ReadonlyMap<string, ModuleState> | undefined, signal?: AbortSignal): Promise<ReadonlyMap<string, ModuleState>> {
		const located = ready.filter(({path}) => path !== '');
		if (known !== undefined && located.every(({module}) => known.has(module))) {
			return known;
		}
		return this.#transport.moduleStates(located, signal);
	}

	/**
	 * Which ready modules go through update/1 (listed by update_info), which are
	 * loaded directly (outside its directory, or never loaded with `loadNew`),
	 * and which no transport call can reach.
	 */
	#route(ready: readonly ModuleLocation[], info: UpdateInfo, states: ReadonlyMap<string, ModuleState> | undefined, check: BeamCheck): {viaUpdate: string[]; direct: ModuleLocation[]; outOfReach: Set<string>; reach: string | undefined} {
		const listed = new Set(info.modules);
		const reach = info.dir ?? this.#index.ejabberdDirectory();
		const canLoad = this.#steps.loadDirect;
		const plan = {viaUpdate: [] as string[], direct: [] as ModuleLocation[], outOfReach: new Set<string>(), reach};
		for (const location of ready) {
			const {module, path} = location;
			const state = states?.get(module);
			if (listed.has(module)) {
				plan.viaUpdate.push(module);
			} else if (this.#bypassed && canLoad && state?.loaded === true && state.loadedMd5 !== state.diskMd5) {
				// update_info was not called (scanHazards): loaded directly, verified by MD5 all the same.
				plan.direct.push(location);
			} else if (reach !== undefined && path !== '' && dirname(path) !== reach) {
				// update_info scans one directory only: a contrib or dependency ebin is beyond it.
				const changed = state === undefined ? !this.#sameVersion(module, check) : state.loaded ? state.loadedMd5 !== state.diskMd5 : this.#steps.loadNew;
				if (changed && canLoad) {
					plan.direct.push(location);
				} else if (changed && state === undefined) {
					plan.outOfReach.add(module);
				}
			} else if (this.#steps.loadNew && canLoad && state?.loaded === false) {
				plan.direct.push(location);
			}
		}
		return plan;
	}

	async #holders(modules: readonly string[], signal?: AbortSignal): Promise<ReadonlyMap<string, readonly HeldProcess[]>> {
		if (modules.length === 0 || !this.#steps.findHolders) {
			return new Map();
		}
		return this.#transport.oldCodeHolders(modules, signal);
	}

	/**
	 * After the load: which updated modules still have old code that processes
	 * run (what OTP calls unpurged; their next reload kills them). Only a
	 * transport that sees processes can say (null otherwise); a call that
	 * fails for another reason than a node gone leaves it unknown rather than
	 * losing the batch's record.
	 */
	async #unpurged(updated: readonly string[], signal?: AbortSignal): Promise<ModuleHolders[] | null> {
		if (!this.#steps.findHolders) {
			return null;
		}
		if (updated.length === 0) {
			return [];
		}
		try {
			return [...await this.#transport.oldCodeHolders(updated, signal)].map(([module, processes]) => ({module, processes}));
		} catch (error) {
			// A node gone mid-batch hands the batch back, as at any other step.
			if (isRetryable(error)) {
				throw error;
			}
			return null;
		}
	}

	/** By content where the transport can ask the node, else by asking update_info again. */
	async #verify(attempted: readonly ModuleLocation[], statesBefore: ReadonlyMap<string, ModuleState> | undefined, signal?: AbortSignal): Promise<Verification> {
		if (this.#steps.verify === 'content' && statesBefore !== undefined) {
			const after = attempted.length === 0 ? new Map<string, ModuleState>() : await this.#transport.moduleStates(attempted, signal);
			return {kind: 'content', before: statesBefore, after};
		}
		const listedAfter = attempted.length === 0 ? new Set<string>() : new Set((await this.#transport.updateInfo(signal)).modules);
		return {kind: 'list', listedAfter};
	}

	/** update_info once its directory is settled; a call that failed on a beam caught mid-write is made again (UPDATE_INFO_TRIES in all). */
	async #settledUpdateInfo(read: BeamReader, signal?: AbortSignal): Promise<UpdateInfo> {
		for (let attempt = 1; ; attempt++) {
			const directory = this.#lastDirectory ?? this.#index.ejabberdDirectory();
			await this.#settle(directory, signal);
			const hazards = directory === undefined ? [] : await this.#options.scanHazards?.(directory) ?? [];
			this.#bypassed = hazards.length > 0;
			if (this.#bypassed && directory !== undefined) {
				if (!this.#steps.loadDirect) {
					throw scanHazardError(directory, hazards);
				}
				return {modules: [], dir: directory, raw: `(not called: ${hazards.length} entries its scan cannot survive)`};
			}
			try {
				const info = await this.#transport.updateInfo(signal);
				this.#lastDirectory = info.dir ?? this.#lastDirectory;
				return info;
			} catch (error) {
				if (attempt >= UPDATE_INFO_TRIES || !(await isDirectoryRace(error, read))) {
					throw error;
				}
			}
		}
	}

	async #settle(directory: string | undefined, signal?: AbortSignal): Promise<void> {
		if (directory !== undefined && this.#options.settleDirectory !== undefined) {
			await this.#options.settleDirectory(directory, signal);
		}
	}

	#sameVersionAsBefore(check: BeamCheck): Set<string> {
		return new Set([...check.versions.keys()].filter(module => this.#sameVersion(module, check)));
	}

	/** Code changed since the index's snapshot of the module, vsn kept: ejabberd_update will never list it. */
	#keptVsn(check: BeamCheck): Set<string> {
		return new Set([...check.versions].filter(([module, snapshot]) => {
			const known = this.#index.get(module);
			return snapshot.vsn !== undefined && known?.vsn === snapshot.vsn && known.codeMd5 !== undefined && known.codeMd5 !== snapshot.codeMd5;
		}).map(([module]) => module));
	}

	#sameVersion(module: string, check: BeamCheck): boolean {
		const vsn = check.versions.get(module)?.vsn;
		return vsn !== undefined && this.#index.get(module)?.vsn === vsn;
	}

	/** For `all`: the listed modules, with their beam where the daemon or the node knows it. */
	#locate(info: UpdateInfo): ModuleLocation[] {
		return info.modules.map(module => ({
			module,
			path: this.#index.get(module)?.path ?? (info.dir === undefined ? '' : join(info.dir, `${module}.beam`)),
		}));
	}
}

/** What the node runs of each module, by the last answer: after the load for those attempted, before it for the rest. */
function runningCode(changes: readonly ModuleLocation[], before: ReadonlyMap<string, ModuleState> | undefined, after: ReadonlyMap<string, ModuleState>): Record<string, string | null> {
	// fromEntries defines own properties: a module named like an Object.prototype key stays a plain key.
	return Object.fromEntries(changes.flatMap(({module}) => {
		const state = after.get(module) ?? before?.get(module);
		return state === undefined ? [] : [[module, state.loaded ? state.loadedMd5 ?? null : null]];
	}));
}

function round(ms: number): number {
	return Math.round(ms * 10) / 10;
}
