import {performance} from 'node:perf_hooks';
import {readBeamFileVersion} from '../beam/beam-version.ts';
import type {BeamChange} from '../batcher/batch.ts';
import {ReloaderError, errorMessage} from '../errors.ts';
import type {BeamIndex} from '../modules/beam-index.ts';
import type {ModuleLocation, ModuleState, Transport} from '../transports/transport.ts';
import type {BatchRecord, Trigger} from './batch-record.ts';
import {classifyModules, type Verification} from './classify-modules.ts';

export interface ReloadRequest {
	readonly id: number;
	readonly trigger: Trigger;
	/** The beams to reload; undefined: every module update_info lists. */
	readonly changes?: readonly BeamChange[];
	/** When the first change of the batch was seen (epoch ms), for the wait duration. */
	readonly firstChangeAt?: number;
}

interface UpdateAttempt {
	readonly raw: string;
	readonly unpurged: readonly string[];
	/** Per module, when its update failed. */
	readonly errors: ReadonlyMap<string, string>;
	/** The batch's update failed as a whole and each module was tried on its own. */
	readonly retriedAlone?: boolean;
}

interface Preflight {
	readonly deferred: Set<string>;
	readonly rejected: Map<string, string>;
	readonly versions: Map<string, {path: string; vsn: string | undefined}>;
}

/**
 * One batch against the node: check every beam is complete, update_info,
 * update the listed modules of the batch, update_info again to verify, classify.
 * A node that is unreachable throws (retryable) so the caller can hand the batch
 * back; every other failure ends up in the record.
 */
export class Reloader {
	readonly #transport: Transport;
	readonly #index: BeamIndex;

	constructor(transport: Transport, index: BeamIndex) {
		this.#transport = transport;
		this.#index = index;
	}

	async reload(request: ReloadRequest, signal?: AbortSignal): Promise<BatchRecord> {
		const startedAt = Date.now();
		const start = performance.now();
		const transport = this.#transport;

		// A batch's beams are checked before update_info reads them; for `all`, the
		// listed modules are only known afterwards.
		let preflight = request.changes === undefined ? undefined : await this.#preflight(request.changes);
		const infoStart = performance.now();
		const before = await transport.updateInfo(signal);
		const updateInfoMs = performance.now() - infoStart;
		const listedBefore = new Set(before.modules);

		const changes = request.changes ?? this.#locate(before.modules);
		const modules = changes.map(change => change.module);
		preflight ??= await this.#preflight(changes);
		const ready = changes.filter(({module}) => preflight.versions.has(module));
		const attempted = new Set(ready.map(change => change.module).filter(module => listedBefore.has(module)));
		const statesBefore = ready.length > 0 ? await transport.moduleStates?.(ready, signal) : undefined;

		const updateStart = performance.now();
		const update = attempted.size === 0 ? undefined : await this.#update([...attempted], signal);
		const updateMs = performance.now() - updateStart;

		const verifyStart = performance.now();
		const verification = await this.#verify(ready.filter(change => attempted.has(change.module)), statesBefore, signal);
		const verifyMs = attempted.size === 0 ? 0 : performance.now() - verifyStart;

		const classes = classifyModules({
			modules,
			deferred: preflight.deferred,
			rejected: preflight.rejected,
			attempted,
			updateErrors: update?.errors ?? new Map(),
			verification,
			sameVersionAsBefore: this.#sameVersionAsBefore(preflight),
		});
		for (const module of [...classes.updated, ...classes.unchanged, ...classes.notLoaded]) {
			const read = preflight.versions.get(module);
			if (read !== undefined) {
				this.#index.noteVersion(module, read.path, read.vsn);
			}
		}

		return {
			event: 'batch',
			id: request.id,
			trigger: request.trigger,
			node: transport.node,
			transport: transport.kind,
			ok: classes.failed.length === 0,
			listed: before.modules,
			...classes,
			verifiedBy: attempted.size === 0 ? 'none' : verification.kind,
			unpurged: update?.unpurged ?? [],
			raw: {updateInfo: before.raw, ...(update === undefined ? {} : {update: update.raw})},
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
	 * Run update. An unreachable node propagates (the batch is handed back). If
	 * update fails for several modules at once (an `on_load` that fails makes
	 * ejabberd_update return an 'EXIT'), each module is tried on its own, so one
	 * bad module fails alone and the others are still updated.
	 */
	async #update(modules: readonly string[], signal?: AbortSignal): Promise<UpdateAttempt> {
		const first = await this.#updateOnce(modules, signal);
		if (first.error === undefined || modules.length === 1) {
			return {raw: first.raw, unpurged: first.unpurged ?? [], errors: new Map(first.error === undefined ? [] : modules.map(module => [module, first.error ?? '']))};
		}
		const errors = new Map<string, string>();
		const raws = [first.raw];
		const unpurged: string[] = [];
		for (const module of modules) {
			const alone = await this.#updateOnce([module], signal);
			raws.push(alone.raw);
			unpurged.push(...alone.unpurged ?? []);
			if (alone.error !== undefined) {
				errors.set(module, alone.error);
			}
		}
		return {raw: raws.filter(raw => raw !== '').join('\n'), unpurged, errors, retriedAlone: true};
	}

	async #updateOnce(modules: readonly string[], signal?: AbortSignal): Promise<{raw: string; error?: string; unpurged?: readonly string[]}> {
		try {
			const outcome = await this.#transport.update(modules, signal);
			const result = outcome.result;
			if (result === undefined || result.kind === 'ok') {
				return {raw: outcome.raw, unpurged: result?.unpurged};
			}
			return {raw: outcome.raw, error: `ejabberd_update:update/1 returned ${result.kind === 'exit' ? "an 'EXIT'" : 'an error'}: ${result.reason}`};
		} catch (error) {
			if (error instanceof ReloaderError && error.retryable) {
				throw error;
			}
			return {raw: '', error: `update failed: ${errorMessage(error)}`};
		}
	}

	/** By content where the transport can ask the node, else by asking update_info again. */
	async #verify(attempted: readonly ModuleLocation[], statesBefore: ReadonlyMap<string, ModuleState> | undefined, signal?: AbortSignal): Promise<Verification> {
		if (statesBefore !== undefined && this.#transport.moduleStates !== undefined) {
			const after = attempted.length === 0 ? new Map<string, ModuleState>() : await this.#transport.moduleStates(attempted, signal);
			return {kind: 'content', before: statesBefore, after};
		}
		const listedAfter = attempted.length === 0 ? new Set<string>() : new Set((await this.#transport.updateInfo(signal)).modules);
		return {kind: 'list', listedAfter};
	}

	#sameVersionAsBefore(preflight: Preflight): Set<string> {
		const same = new Set<string>();
		for (const [module, {vsn}] of preflight.versions) {
			if (vsn !== undefined && this.#index.get(module)?.vsn === vsn) {
				same.add(module);
			}
		}
		return same;
	}

	/** For `all`: the listed modules, with their beam where the daemon knows it. */
	#locate(modules: readonly string[]): ModuleLocation[] {
		return modules.map(module => ({module, path: this.#index.get(module)?.path ?? ''}));
	}

	/** Read each beam whole right before the node sees it: a half-written beam is never handed on. */
	async #preflight(changes: readonly ModuleLocation[]): Promise<Preflight> {
		const result: Preflight = {deferred: new Set(), rejected: new Map(), versions: new Map()};
		await Promise.all(changes.map(async ({module, path}) => {
			if (path === '') {
				// Listed by update_info but outside the watched directories: ejabberd reads it itself.
				return;
			}
			try {
				const beam = await readBeamFileVersion(path);
				if (beam.module !== module) {
					result.rejected.set(module, `${path} holds module ${beam.module}, not ${module}: rename the file or fix its -module attribute`);
					return;
				}
				result.versions.set(module, {path, vsn: beam.vsn});
			} catch (error) {
				if (error instanceof ReloaderError && error.code === 'ERR_BEAM_INCOMPLETE') {
					result.deferred.add(module);
				} else {
					result.rejected.set(module, errorMessage(error));
				}
			}
		}));
		return result;
	}
}

function round(ms: number): number {
	return Math.round(ms * 10) / 10;
}
