import {setMaxListeners} from 'node:events';
import {dirname, resolve} from 'node:path';
import PQueue from 'p-queue';
import type {PipelineStatus} from './api/api-daemon.ts';
import type {Batch, BeamChange} from './batcher/batch.ts';
import {Batcher, counter} from './batcher/batcher.ts';
import {systemClock, type Clock, type TimerHandle} from './batcher/clock.ts';
import {boundedBeamReader, type BeamReader} from './beam/beam-snapshot.ts';
import type {ResolvedConfig} from './config/schema.ts';
import {ReloaderError, isRetryable, quoteUntrusted} from './errors.ts';
import type {BeamIndex} from './modules/beam-index.ts';
import {resolveRequestedModules} from './modules/requested-modules.ts';
import {findStaleModules, type StaleModule} from './modules/stale-modules.ts';
import {NodeSession} from './node/node-session.ts';
import {waitForNode} from './node/wait-for-node.ts';
import {problemRecord, type DaemonRecord} from './records.ts';
import type {BatchRecord, Trigger} from './reloader/batch-record.ts';
import type {BatchReloader, BatchReloaderContext} from './reloader/batch-reloader.ts';
import {Reloader, type ReloaderOptions, type ReloadRequest} from './reloader/reloader.ts';
import {WritesDuringBatch} from './reloader/writes-during-batch.ts';
import {scanHazardError} from './reloader/directory-race.ts';
import {ScanHazardGuard} from './reloader/scan-hazard-guard.ts';
import {findScanHazards, settleDirectory, type ScanHazard} from './reloader/settle-directory.ts';
import type {PurgeMode, Transport, UpdateInfo} from './transports/transport.ts';
import {BeamSettler} from './watcher/beam-settler.ts';
import {BeamWatcher, type BeamWatcherOptions} from './watcher/beam-watcher.ts';

export interface DaemonOptions {
	readonly config: ResolvedConfig;
	readonly transport: Transport;
	/** The resolved watch directories (`watch: auto` already looked up). */
	readonly directories: readonly string[];
	readonly index: BeamIndex;
	readonly report: (record: DaemonRecord) => void;
	/** How long close() lets a running batch finish. */
	readonly graceMs?: number;
	/** Gives each batch its id; share one counter across config reloads so ids never repeat. Default: 1, 2, 3... */
	readonly nextId?: () => number;
	/** Time for every timer of the pipeline (settle re-checks, batching, purge retries, node backoff). Default: the system clock. */
	readonly clock?: Clock;
	/** Reads a beam once into a snapshot (the settle step and beams asked for by name). Default: real files, bounded by `maxBeamBytes`. */
	readonly readBeam?: BeamReader;
	/** What reports beam writes. Default: a BeamWatcher (chokidar) on `directories`. */
	readonly createWatcher?: (options: BeamWatcherOptions) => WatchSource;
	/**
	 * Finds the entries of a directory that ejabberd_update's scan cannot
	 * survive. Default: findScanHazards on the real directory (a simulation
	 * over a fake disk gives its own).
	 */
	readonly findScanHazards?: (directory: string, maxBytes: number) => Promise<readonly ScanHazard[]>;
	/** What runs each batch. Default: a Reloader on `transport` (one node); a cluster gives its own. */
	readonly createReloader?: (context: BatchReloaderContext) => BatchReloader;
}

/** Strays named in the start warning; the rest are counted. */
const MAX_STRAYS_SHOWN = 20;

/** What the daemon needs of a watcher: report writes once ready, and stop. */
export interface WatchSource {
	ready(): Promise<void>;
	close(): Promise<void>;
}

/**
 * Wires the pipeline, one direction only:
 * watcher → beam check → batcher → queue (one batch at a time) → reloader → transport,
 * every outcome reported as a record. When the node is unreachable the queue
 * pauses, the batch's changes go back to the batcher, and a backoff loop waits
 * for the node; its return re-runs the init step before anything else.
 * The beam check reads each settled beam once into a snapshot that travels
 * with the batch. Time, that read and the watcher are injectable (`clock`,
 * `readBeam`, `createWatcher`): test/unit/simulation runs this very class in simulated time.
 */
export class Daemon {
	readonly #options: DaemonOptions;
	readonly #session: NodeSession;
	readonly #reloader: BatchReloader;
	readonly #queue = new PQueue({concurrency: 1});
	readonly #nextId: () => number;
	readonly #clock: Clock;
	readonly #batcher: Batcher;
	readonly #settler: BeamSettler;
	readonly #abort = new AbortController();
	#watcher: WatchSource | undefined;
	#waitingForNode = false;
	readonly #retryTimers = new Set<TimerHandle>();
	/** Tells a write made while a batch ran. */
	readonly #writes = new WritesDuringBatch();
	#closing: Promise<void> | undefined;
	readonly #hazards: ScanHazardGuard;

	constructor(options: DaemonOptions) {
		this.#options = options;
		// Every call in flight listens to this signal; a batch keeps a few dozen in flight (dist's STATE_CONCURRENCY).
		setMaxListeners(100, this.#abort.signal);
		const {config, transport, index, report} = options;
		this.#nextId = options.nextId ?? counter();
		this.#clock = options.clock ?? systemClock;
		const readBeam = options.readBeam ?? boundedBeamReader(config.maxBeamBytes);
		this.#hazards = new ScanHazardGuard({
			directories: options.directories,
			maxBeamBytes: config.maxBeamBytes,
			find: options.findScanHazards ?? findScanHazards,
			canLoadBeam: transport.capabilities.loadBeam,
			report,
		});
		// The init step's record also tells the reloader which ejabberd it talks to (batch records carry it).
		this.#session = new NodeSession(this.#hazards.guard(transport), (record, stale) => {
			this.#reloader.noteVersions(record.versions);
			report(record);
			this.#catchUp(stale);
		}, async (info, signal) => findStaleModules({transport, index, reach: info.dir ?? this.#ejabberdDirectory(), listed: info.modules, read: readBeam, signal}));
		const reloaderOptions: ReloaderOptions = {
			purge: config.purge,
			loadNew: config.loadNew,
			readBeam,
			settleDirectory: async (directory, signal) => this.#settleDirectory(directory, signal),
			scanHazards: async directory => this.#hazards.check(directory),
			purgeSoftTimeoutMs: config.purgeSoftTimeoutMs,
			now: () => this.#clock.now(),
			onKilled: report,
		};
		this.#reloader = options.createReloader?.({
			transport,
			index,
			options: reloaderOptions,
			report,
			enqueue: request => {
				this.#run({...request, id: this.#nextId()}).catch(() => {
					// Already reported.
				});
			},
			signal: this.#abort.signal,
		}) ?? new Reloader(transport, index, reloaderOptions);
		this.#batcher = new Batcher({
			debounceMs: config.debounceMs,
			maxWaitMs: config.maxWaitMs,
			clock: this.#clock,
			nextId: this.#nextId,
			onBatch: batch => this.#enqueueBatch(batch),
		});
		// The index is not written here: only batches, in queue order, note what a beam became.
		this.#settler = new BeamSettler({
			incompleteTimeoutMs: config.incompleteTimeoutMs,
			read: readBeam,
			clock: this.#clock,
			onSettled: beam => this.#batcher.add(beam),
			onProblem: problem => report(problemRecord(problem.error, 'warn', undefined, problem)),
		});
	}

	/** Init the node (or start waiting for it), then watch. Resolves once writes are being seen. */
	async start(): Promise<void> {
		// A held connection that drops is noticed at once, not at the next batch.
		this.#options.transport.onDisconnect?.(reason => {
			if (this.#closing === undefined) {
				this.#nodeDown(new ReloaderError('ERR_NODE_DOWN', `Lost the connection to ${this.#options.transport.node}: ${reason}`, {retryable: true}));
			}
		});
		try {
			await this.#session.ready(this.#abort.signal);
		} catch (error) {
			if (!isRetryable(error)) {
				throw error;
			}
			// Watch anyway so no change made while the node is down is lost.
			this.#nodeDown(error);
		}
		const {directories, index, report} = this.#options;
		const createWatcher = this.#options.createWatcher ?? (options => new BeamWatcher(options));
		this.#reportStrays();
		this.#watcher = createWatcher({
			directories,
			onBeamWritten: path => {
				this.#writes.noteWrite(path);
				this.#settler.check(path);
			},
			onDirectory: event => report({event: 'directory', ...event}),
			onSiblingVersion: event => report({event: 'sibling', ...event}),
			onError: error => report(problemRecord(error, 'error')),
		});
		await this.#watcher.ready();
		report({event: 'watch', directories, beams: index.size});
		this.#reloader.start?.();
	}

	/** Update every modified module now (the `once` pass, `GET /update-modules/all`), through the queue. */
	reconcile(trigger: Trigger, options: {readonly nodes?: readonly string[]} = {}): Promise<BatchRecord> {
		return this.#run({id: this.#nextId(), trigger, ...this.#checkNodes(options.nodes)});
	}

	/**
	 * Update exactly these modules now (`POST /update-modules`), through the
	 * same queue as the watcher's batches. `names` come from outside: they are
	 * checked against the beams of the watched directories before anything
	 * reaches the node (throws ERR_MODULE_NAME / ERR_MODULE_UNKNOWN). `purge`
	 * overrides the configured one for this batch (`brutal` forces modules
	 * that `purge: soft` holds back).
	 */
	update(names: unknown, trigger: Trigger, options: {readonly purge?: PurgeMode; readonly nodes?: readonly string[]} = {}): Promise<BatchRecord> {
		const now = this.#clock.now();
		const changes = resolveRequestedModules(names, this.#options.index).map(({module, path}) => ({module, path, at: now}));
		const nodes = this.#checkNodes(options.nodes);
		return this.#run({id: this.#nextId(), trigger, changes, firstChangeAt: now, ...nodes, ...(options.purge === undefined ? {} : {purge: options.purge})});
	}

	/** Members named by a request exist (a cluster only): checked before anything is queued. */
	#checkNodes(nodes: readonly string[] | undefined): {nodes?: readonly string[]} {
		if (nodes === undefined) {
			return {};
		}
		if (this.#reloader.checkNodes === undefined) {
			throw new ReloaderError('ERR_NODE_UNKNOWN', `\`nodes\` names cluster members, and this daemon reloads one node (${this.#options.transport.node}), not a cluster`, {
				hint: 'Leave `nodes` out, or configure `cluster` to reload every member of an ejabberd cluster.',
			});
		}
		this.#reloader.checkNodes(nodes);
		return {nodes};
	}

	/** What update_info reports now (`GET /update-modules`); changes nothing, so it needs no queue. */
	async updateInfo(): Promise<UpdateInfo> {
		await this.#session.ready(this.#abort.signal);
		for (const directory of this.#options.directories) {
			const hazards = await this.#hazards.check(directory);
			if (hazards.length > 0) {
				throw scanHazardError(directory, hazards);
			}
		}
		return this.#options.transport.updateInfo(this.#abort.signal);
	}

	/** The beams of the watched directories, by module. */
	get index(): BeamIndex {
		return this.#options.index;
	}

	/** A snapshot of where work is in the pipeline. */
	status(): PipelineStatus {
		return {
			node: this.#options.transport.node,
			transport: this.#options.transport.kind,
			connected: this.#session.initialised,
			versions: this.#reloader.versions,
			...(this.#reloader.members === undefined ? {} : {members: this.#reloader.members()}),
			directories: this.#options.directories,
			unsettledBeams: this.#settler.unsettledCount,
			...this.#unsettledStatus(),
			pendingChanges: this.#batcher.pendingCount,
			queuedBatches: this.#queue.size,
			runningBatches: this.#queue.pending,
		};
	}

	/**
	 * Since when beams wait to settle, and which wait past incompleteTimeoutMs:
	 * after it a half-written beam is given up, so one still waited on is a
	 * read that cannot finish or a descriptor shortage (retried until read).
	 */
	#unsettledStatus(): Pick<PipelineStatus, 'oldestUnsettledMs' | 'stuckBeams'> {
		const now = this.#clock.now();
		const unsettled = this.#settler.unsettled();
		const oldest = unsettled[0];
		return {
			oldestUnsettledMs: oldest === undefined ? undefined : now - oldest.since,
			stuckBeams: unsettled.filter(({since}) => now - since > this.#options.config.incompleteTimeoutMs).map(({path, since}) => ({path, unsettledMs: now - since})),
		};
	}

	/**
	 * Entries named `*.beam` that the initial scan left out of the index: one
	 * warning at start. Asked for by name they are unknown (404), but
	 * ejabberd_update's own scan still makes an atom of each name.
	 */
	#reportStrays(): void {
		const strays = this.#options.index.strays();
		if (strays.length === 0) {
			return;
		}
		const shown = strays.slice(0, MAX_STRAYS_SHOWN).map(({path, what}) => `${quoteUntrusted(path, 300)} (${what})`).join(', ');
		const more = strays.length > MAX_STRAYS_SHOWN ? ` and ${strays.length - MAX_STRAYS_SHOWN} more` : '';
		const one = strays.length === 1;
		this.#options.report({
			event: 'error',
			severity: 'warn',
			code: 'WARN_NOT_BEAMS',
			message: `${strays.length} ${one ? 'entry' : 'entries'} named *.beam in the watched directories ${one ? 'is' : 'are'} not a complete beam of the module ${one ? 'its' : 'their'} name says, and left out of the index (asked for over the API: 404): ${shown}${more}. ejabberd_update's scan turns every *.beam file name into an atom on the node, and atoms are never freed`,
			hint: 'Remove them from the ebin directory; only beams erlc wrote belong there.',
		});
	}

	/**
	 * Before update_info and update: wait until no beam of update_info's
	 * directory is mid-write, within incompleteTimeoutMs. Only a watched
	 * directory's writes are known; another is not waited on.
	 */
	async #settleDirectory(directory: string, signal?: AbortSignal): Promise<void> {
		if (!this.#options.directories.some(watched => resolve(watched) === resolve(directory))) {
			return;
		}
		const deadlineMs = this.#options.config.incompleteTimeoutMs;
		const outcome = await settleDirectory(directory, this.#settler, {deadlineMs, clock: this.#clock, signal});
		if (!outcome.settled) {
			this.#options.report({
				event: 'error',
				severity: 'warn',
				code: 'WARN_DIRECTORY_UNSETTLED',
				message: `${outcome.unsettled.length} beam(s) of ${quoteUntrusted(directory, 300)} were still being written after ${deadlineMs} ms (${outcome.unsettled.slice(0, 5).map(path => quoteUntrusted(path, 300)).join(', ')}); ejabberd_update reads every beam there, going on: a batch that fails on one is handed back`,
			});
		}
	}

	/** Stop watching, hand on the pending batch, let the queue drain within the grace period, then disconnect. */
	close(reason = 'closed'): Promise<void> {
		this.#closing ??= this.#close(reason);
		return this.#closing;
	}

	async #close(reason: string): Promise<void> {
		this.#options.report({event: 'stop', reason});
		await this.#watcher?.close();
		for (const timer of this.#retryTimers) {
			this.#clock.clearTimer(timer);
		}
		this.#settler.close();
		this.#batcher.close();
		const graceMs = this.#options.graceMs ?? 30_000;
		let graceTimer: TimerHandle | undefined;
		const drained = await Promise.race([
			this.#queue.onIdle().then(() => true),
			new Promise<false>(resolve => {
				graceTimer = this.#clock.setTimer(() => resolve(false), graceMs);
			}),
		]);
		if (graceTimer !== undefined) {
			this.#clock.clearTimer(graceTimer);
		}
		// Batches still queued are rejected (not dropped silently): their callers, an API request say, get an answer.
		this.#abort.abort(new ReloaderError('ERR_NODE_DOWN', `The daemon stopped (${reason}) before this batch could run`, {
			retryable: true,
			hint: 'Ask again once the daemon is back.',
		}));
		if (!drained) {
			this.#options.report({event: 'error', severity: 'warn', code: 'ERR_NODE_TIMEOUT', message: `The running batch did not finish within ${graceMs} ms and was abandoned`});
		}
		await this.#reloader.close?.();
		await this.#options.transport.close();
	}

	/**
	 * Modules beyond update_info's directory that changed while nobody watched
	 * (a contrib beam rebuilt while the daemon was stopped or the node away),
	 * found by the init step: loaded in a batch of their own, right after it.
	 */
	#catchUp(stale: readonly StaleModule[]): void {
		if (stale.length === 0 || this.#closing !== undefined) {
			return;
		}
		const at = this.#clock.now();
		const changes = stale.map(({module, path, snapshot}) => ({module, path, at, snapshot}));
		this.#run({id: this.#nextId(), trigger: 'init', changes, firstChangeAt: at}).catch(() => {
			// Already reported; the changes were handed back where retrying can help.
		});
	}

	/** update_info's directory when the transport does not say: the watched one holding ejabberd.beam. */
	#ejabberdDirectory(): string | undefined {
		const path = this.#options.index.get('ejabberd')?.path;
		return path === undefined ? undefined : dirname(path);
	}

	#enqueueBatch(batch: Batch): void {
		const request: ReloadRequest = {id: batch.id, trigger: 'watch', changes: batch.changes, firstChangeAt: batch.firstChangeAt};
		this.#run(request).catch(() => {
			// Already reported; the changes were handed back where retrying can help.
		});
	}

	#run(request: ReloadRequest): Promise<BatchRecord> {
		return this.#queue.add(async () => this.#reload(request), {signal: this.#abort.signal});
	}

	async #reload(request: ReloadRequest): Promise<BatchRecord> {
		const {report} = this.#options;
		try {
			await this.#session.ready(this.#abort.signal);
			const mark = this.#writes.mark();
			const record = this.#writes.deferRaced(await this.#reloader.reload(request, this.#abort.signal), request.changes, mark);
			report(record);
			const beams = request.changes ?? this.#indexed([...record.deferred, ...record.failed.map(failure => failure.module)]);
			this.#writes.resettle(record, beams, mark, this.#options.transport.capabilities.verifyByContent, this.#settler);
			this.#retryLater(request.changes?.filter(change => record.heldBack.includes(change.module)) ?? []);
			return record;
		} catch (error) {
			if (isNodeBusy(error) && !this.#abort.signal.aborted) {
				// Slow is not down: the node still runs an earlier scan; this batch's changes wait for the next one.
				report(problemRecord(error, 'warn', `Batch ${request.id} handed back`));
				this.#handBack(request.changes);
			} else if (isRetryable(error) && !this.#abort.signal.aborted) {
				this.#nodeDown(error);
				this.#handBack(request.changes);
			} else {
				report(problemRecord(error, 'error', `Batch ${request.id} failed`));
			}
			throw error;
		}
	}

	/** Where the index puts these modules' beams (an `all` batch has no changes of its own). */
	#indexed(modules: readonly string[]): Array<{module: string; path: string}> {
		return modules.flatMap(module => {
			const path = this.#options.index.get(module)?.path;
			return path === undefined ? [] : [{module, path}];
		});
	}

	/** Modules held back by `purge: soft` come back in a later batch, after `purgeRetryMs`. */
	#retryLater(changes: readonly BeamChange[]): void {
		if (changes.length === 0) {
			return;
		}
		const timer = this.#clock.setTimer(() => {
			this.#retryTimers.delete(timer);
			this.#handBack(changes);
		}, this.#options.config.purgeRetryMs);
		this.#retryTimers.add(timer);
	}

	/** A batch that could not reach the node goes back to the batcher: nothing is lost, nothing runs twice at once. */
	#handBack(changes: readonly BeamChange[] | undefined): void {
		if (this.#closing !== undefined) {
			return;
		}
		for (const change of changes ?? []) {
			this.#batcher.requeue(change);
		}
	}

	#nodeDown(error: unknown): void {
		this.#session.markDown();
		this.#queue.pause();
		if (this.#waitingForNode) {
			return;
		}
		this.#waitingForNode = true;
		void this.#waitForNode(error).finally(() => {
			this.#waitingForNode = false;
		});
	}

	async #waitForNode(firstError: unknown): Promise<void> {
		const {report, transport} = this.#options;
		if (await waitForNode({node: transport.node, session: this.#session, report, signal: this.#abort.signal, clock: this.#options.clock}, firstError)) {
			this.#queue.start();
		}
	}
}

function isNodeBusy(error: unknown): boolean {
	return error instanceof ReloaderError && error.code === 'ERR_NODE_BUSY';
}
