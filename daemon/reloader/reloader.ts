import {dirname, join} from 'node:path';
import {performance} from 'node:perf_hooks';
import type {BeamChange} from '../batcher/batch.ts';
import {readBeamSnapshot, type BeamReader} from '../beam/beam-snapshot.ts';
import type {BeamIndex} from '../modules/beam-index.ts';
import type {ModuleLocation, ModuleState, PurgeMode, Transport, UpdateInfo} from '../transports/transport.ts';
import type {BatchRecord, ModuleHolders, Trigger} from './batch-record.ts';
import {classifyModules, type Verification} from './classify-modules.ts';
import {checkBeams, type BeamCheck} from './check-beams.ts';
import {planReload, type ReloadPlan} from './reload-plan.ts';
import {DirectoryRaces, UPDATE_INFO_TRIES, isDirectoryRace} from './directory-race.ts';
import {loadBeams, updateModules} from './update-modules.ts';

export interface ReloadRequest {
	readonly id: number;
	readonly trigger: Trigger;
	/** The beams to reload; undefined: every module update_info lists. */
	readonly changes?: readonly BeamChange[];
	/** When the first change of the batch was seen (epoch ms), for the wait duration. */
	readonly firstChangeAt?: number;
}

export interface ReloaderOptions {
	/** What to do when processes still run a module's old code (needs a transport that can see processes). */
	readonly purge: PurgeMode;
	/** Load changed modules the node never loaded (needs a transport that can load beams). */
	readonly loadNew: boolean;
	/** Reads a beam no one has read yet (asked for by name, or listed for `all`); settled beams come with their snapshot. Default: readBeamSnapshot. */
	readonly readBeam?: BeamReader;
	/**
	 * Waits (within its own deadline) until no beam of update_info's directory
	 * is mid-write: ejabberd_update reads every beam there, not only the
	 * batch's. Default: no wait.
	 */
	readonly settleDirectory?: (directory: string, signal?: AbortSignal) => Promise<void>;
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

	constructor(transport: Transport, index: BeamIndex, options: ReloaderOptions = {purge: 'brutal', loadNew: false}) {
		this.#transport = transport;
		this.#index = index;
		this.#options = options;
		this.#steps = planReload(transport.kind, transport.capabilities, options);
	}

	async reload(request: ReloadRequest, signal?: AbortSignal): Promise<BatchRecord> {
		const startedAt = Date.now();
		const start = performance.now();
		const transport = this.#transport;

		// A batch's beams are checked before update_info reads them; for `all`, the
		// listed modules are only known afterwards.
		const read = this.#options.readBeam ?? (async (path: string) => readBeamSnapshot(path));
		let check = request.changes === undefined ? undefined : await checkBeams(request.changes, read);
		const infoStart = performance.now();
		const before = await this.#settledUpdateInfo(read, signal);
		const updateInfoMs = performance.now() - infoStart;
		const changes = request.changes ?? this.#locate(before);
		check ??= await checkBeams(changes, read);
		const ready = changes.filter(({module}) => check.versions.has(module) || check.unchecked.has(module));
		const statesBefore = this.#steps.verify === 'content' && ready.length > 0 ? await transport.moduleStates(ready.filter(({path}) => path !== ''), signal) : undefined;
		const plan = this.#route(ready, before, statesBefore, check);
		const holders = await this.#holders([...plan.viaUpdate, ...plan.direct.map(({module}) => module)], signal);
		const heldBack = this.#steps.purge === 'soft' ? new Set(holders.keys()) : new Set<string>();
		const viaUpdate = plan.viaUpdate.filter(module => !heldBack.has(module));
		const direct = plan.direct.filter(({module}) => !heldBack.has(module));

		const updateStart = performance.now();
		// No settle wait here: what the node runs was read just now (statesBefore), and a wait could outlast it (a restart).
		const update = await updateModules(transport, viaUpdate, signal);
		// Failed on a beam of the directory caught mid-write (not on its own code): handed back, tried again once settled.
		const raced = await this.#races.raced(update.errors, read);
		this.#races.settle(viaUpdate.filter(module => !raced.has(module)));
		const loadErrors = await loadBeams(transport, direct, this.#steps.purge, signal);
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
		});
		for (const module of [...classes.updated, ...classes.unchanged, ...classes.notLoaded]) {
			const read = check.versions.get(module);
			if (read !== undefined) {
				this.#index.noteVersion(module, read.path, read.vsn);
			}
		}
		const holdersOf = (modules: readonly string[]): ModuleHolders[] => modules.flatMap(module => {
			const processes = holders.get(module);
			return processes === undefined ? [] : [{module, processes}];
		});

		return {
			event: 'batch',
			id: request.id,
			trigger: request.trigger,
			node: transport.node,
			transport: transport.kind,
			ok: classes.failed.length === 0,
			listed: before.modules,
			...classes,
			holders: holdersOf(classes.heldBack),
			killed: this.#steps.purge === 'brutal' ? holdersOf(classes.updated) : [],
			verifiedBy: attempted.size === 0 ? 'none' : verification.kind,
			unpurged: update.unpurged,
			raw: {updateInfo: before.raw, ...(viaUpdate.length === 0 ? {} : {update: update.raw})},
			durations: {
				waitMs: request.firstChangeAt === undefined ? 0 : Math.max(0, startedAt - request.firstChangeAt),
				updateInfoMs: round(updateInfoMs),
				updateMs: round(updateMs),
				verifyMs: round(verifyMs),
				totalMs: round(performance.now() - start),
			},
		};
	}

	/**
	 * Which ready modules go through update/1 (listed by update_info), which are
	 * loaded directly (outside its directory, or never loaded with `loadNew`),
	 * and which no transport call can reach.
	 */
	#route(ready: readonly ModuleLocation[], info: UpdateInfo, states: ReadonlyMap<string, ModuleState> | undefined, check: BeamCheck): {viaUpdate: string[]; direct: ModuleLocation[]; outOfReach: Set<string>} {
		const listed = new Set(info.modules);
		const reach = info.dir ?? this.#reachDirectory();
		const canLoad = this.#steps.loadDirect;
		const plan = {viaUpdate: [] as string[], direct: [] as ModuleLocation[], outOfReach: new Set<string>()};
		for (const location of ready) {
			const {module, path} = location;
			const state = states?.get(module);
			if (listed.has(module)) {
				plan.viaUpdate.push(module);
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

	/** Without a transport that says, update_info's directory is the watched one holding ejabberd.beam. */
	#reachDirectory(): string | undefined {
		const ejabberd = this.#index.get('ejabberd')?.path;
		return ejabberd === undefined ? undefined : dirname(ejabberd);
	}

	async #holders(modules: readonly string[], signal?: AbortSignal): Promise<ReadonlyMap<string, readonly string[]>> {
		if (modules.length === 0 || !this.#steps.findHolders) {
			return new Map();
		}
		return this.#transport.oldCodeHolders(modules, signal);
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
			await this.#settle(this.#lastDirectory ?? this.#reachDirectory(), signal);
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

function round(ms: number): number {
	return Math.round(ms * 10) / 10;
}
