import {performance} from 'node:perf_hooks';
import {readBeamFileVersion} from '../beam/beam-version.ts';
import type {BeamChange} from '../batcher/batch.ts';
import {ReloaderError, errorMessage} from '../errors.ts';
import type {BeamIndex} from '../modules/beam-index.ts';
import type {Transport} from '../transports/transport.ts';
import type {BatchRecord, Trigger} from './batch-record.ts';
import {classifyModules} from './classify-modules.ts';

export interface ReloadRequest {
	readonly id: number;
	readonly trigger: Trigger;
	/** The beams to reload; undefined: every module update_info lists. */
	readonly changes?: readonly BeamChange[];
	/** When the first change of the batch was seen (epoch ms), for the wait duration. */
	readonly firstChangeAt?: number;
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

		const attempted = new Set(modules.filter(module => listedBefore.has(module) && !preflight.deferred.has(module) && !preflight.rejected.has(module)));
		let updateError: string | undefined;
		let listedAfter = new Set<string>();
		let updateMs = 0;
		let verifyMs = 0;
		if (attempted.size > 0) {
			const updateStart = performance.now();
			try {
				await transport.update([...attempted], signal);
			} catch (error) {
				if (error instanceof ReloaderError && error.retryable) {
					throw error;
				}
				updateError = `update failed: ${errorMessage(error)}`;
			}
			updateMs = performance.now() - updateStart;
			const verifyStart = performance.now();
			listedAfter = new Set((await transport.updateInfo(signal)).modules);
			verifyMs = performance.now() - verifyStart;
		}

		const sameVersionAsBefore = new Set<string>();
		for (const [module, {vsn}] of preflight.versions) {
			const known = this.#index.get(module)?.vsn;
			if (vsn !== undefined && known === vsn) {
				sameVersionAsBefore.add(module);
			}
		}

		const classes = classifyModules({
			modules,
			deferred: preflight.deferred,
			rejected: preflight.rejected,
			listedBefore,
			attempted,
			listedAfter,
			updateError,
			sameVersionAsBefore,
		});
		const settled = [...classes.updated, ...classes.unchanged, ...classes.notLoaded];
		for (const module of settled) {
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
			durations: {
				waitMs: request.firstChangeAt === undefined ? 0 : Math.max(0, startedAt - request.firstChangeAt),
				updateInfoMs: round(updateInfoMs),
				updateMs: round(updateMs),
				verifyMs: round(verifyMs),
				totalMs: round(performance.now() - start),
			},
		};
	}

	/** For `all`: the listed modules, with their beam where the daemon knows it. */
	#locate(modules: readonly string[]): {module: string; path: string}[] {
		return modules.map(module => ({module, path: this.#index.get(module)?.path ?? ''}));
	}

	/** Read each beam whole right before the node sees it: a half-written beam is never handed on. */
	async #preflight(changes: readonly {module: string; path: string}[]): Promise<Preflight> {
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
