import {setMaxListeners} from 'node:events';
import {dirname, resolve} from 'node:path';
import PQueue from 'p-queue';
import type {PipelineStatus} from './api/api-daemon.ts';
import type {BeamChange} from './batcher/batch.ts';
import {counter} from './batcher/batcher.ts';
import {systemClock, type Clock, type TimerHandle} from './batcher/clock.ts';
import {QuietWindow} from './batcher/quiet-window.ts';
import {boundedBeamReader, type BeamReader} from './beam/beam-snapshot.ts';
import type {ResolvedConfig} from './config/schema.ts';
import {ReloaderError, isRetryable, quoteUntrusted} from './errors.ts';
import {ALL_MODULES, Ledger, type Due, type LedgerEntry, type OwedWork} from './ledger/ledger.ts';
import type {BeamIndex} from './modules/beam-index.ts';
import {resolveRequestedModules} from './modules/requested-modules.ts';
import {findStaleModules} from './modules/stale-modules.ts';
import {straysWarning} from './modules/strays-warning.ts';
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
import {DirectorySweep, type BeamLister} from './watcher/directory-sweep.ts';
import {unsettledStatus} from './watcher/unsettled-status.ts';

export interface DaemonOptions {
	readonly config: ResolvedConfig;
	readonly transport: Transport;
	/** The resolved watch directories (`watch: auto` already looked up). */
	readonly directories: readonly string[];
	readonly index: BeamIndex;
	readonly report: (record: DaemonRecord) => void;
	/** How long close() lets a running batch finish. */
	readonly graceMs?: number;
	/** Gives each batch its id; share one counter across configurations so ids never repeat. Default: 1, 2, 3... */
	readonly nextId?: () => number;
	/** Time for every timer of the pipeline (settle re-checks, the quiet window, due work, node backoff). Default: the system clock. */
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
	/**
	 * Lists the beams of a directory with a metadata fingerprint, for the sweep
	 * behind the watcher. Default: readdir + lstat of the real directories; with
	 * an injected watcher (`createWatcher`) there is no sweep unless this is
	 * given too, since the real disk is not the one such a watcher watches.
	 */
	readonly listBeams?: BeamLister;
	/** How often the directories are looked at for a change the watcher missed (see DirectorySweep). Default: 5000. */
	readonly sweepMs?: number;
}

/** What the daemon needs of a watcher: report writes once ready, and stop. */
export interface WatchSource {
	ready(): Promise<void>;
	close(): Promise<void>;
}

/**
 * The pipeline's centre: one ledger of owed work, and one loop over it.
 * Sources only add to the ledger: the watcher (through the settle step, which
 * reads each beam once into a snapshot), the init step's catch-up, a
 * cluster's members joining, coming back or catching up. Whenever work falls
 * due (the quiet window closed, a retry's time came) one batch takes it, runs
 * in the queue (one at a time; requests over the API queue their own), and
 * its follow-ups come back as data and are owed again: a file to read again,
 * a module held back by `purge: soft`, everything handed back while the node
 * is away. The loop runs only once start() has been called: a daemon that
 * only answers questions (`info`) never loads anything.
 * Time, the beam read and the watcher are injectable (`clock`, `readBeam`,
 * `createWatcher`): test/unit/simulation runs this very class in simulated time.
 */
export class Daemon {
	readonly #options: DaemonOptions;
	readonly #session: NodeSession;
	readonly #reloader: BatchReloader;
	readonly #queue = new PQueue({concurrency: 1});
	readonly #nextId: () => number;
	readonly #clock: Clock;
	readonly #ledger = new Ledger();
	readonly #window: QuietWindow;
	readonly #settler: BeamSettler;
	readonly #abort = new AbortController();
	readonly #hazards: ScanHazardGuard;
	/** Tells a write made while a batch ran. */
	readonly #writes = new WritesDuringBatch();
	readonly #readBeam: BeamReader;
	#watcher: WatchSource | undefined;
	#sweep: DirectorySweep | undefined;
	/** The loop runs: start() was called and close() not yet done with it. */
	#looping = false;
	/** A batch of owed work is queued and has not started: it takes whatever is due when it does. */
	#batchQueued = false;
	#timer: TimerHandle | undefined;
	#waitingForNode = false;
	#closing: Promise<void> | undefined;

	constructor(options: DaemonOptions) {
		this.#options = options;
		// Every call in flight listens to this signal; a batch keeps a few dozen in flight (dist's STATE_CONCURRENCY).
		setMaxListeners(100, this.#abort.signal);
		const {config, transport, index, report} = options;
		this.#nextId = options.nextId ?? counter();
		this.#clock = options.clock ?? systemClock;
		this.#window = new QuietWindow({debounceMs: config.debounceMs, maxWaitMs: config.maxWaitMs});
		this.#readBeam = options.readBeam ?? boundedBeamReader(config.maxBeamBytes);
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
			for (const {module, path, snapshot} of stale) {
				this.#owe({module, path, snapshot, at: this.#clock.now(), reason: 'catchUp', trigger: 'init'}, this.#clock.now());
			}
		}, async (info, signal) => findStaleModules({transport, index, reach: info.dir ?? this.#ejabberdDirectory(), listed: info.modules, read: this.#readBeam, signal}));
		const reloaderOptions: ReloaderOptions = {
			purge: config.purge,
			loadNew: config.loadNew,
			readBeam: this.#readBeam,
			settleDirectory: async (directory, signal) => this.#settleDirectory(directory, signal),
			scanHazards: async directory => this.#hazards.check(directory),
			purgeSoftTimeoutMs: config.purgeSoftTimeoutMs,
			now: () => this.#clock.now(),
			onKilled: report,
		};
		const context: BatchReloaderContext = {transport, index, options: reloaderOptions, report, owe: work => this.#owe(work, this.#clock.now()), signal: this.#abort.signal};
		this.#reloader = options.createReloader?.(context) ?? new Reloader(transport, index, reloaderOptions);
		// The index is not written here: only batches, in queue order, note what a beam became.
		this.#settler = new BeamSettler({
			incompleteTimeoutMs: config.incompleteTimeoutMs,
			read: this.#readBeam,
			clock: this.#clock,
			onSettled: beam => {
				this.#window.note(beam.at);
				this.#owe({...beam, reason: 'watch', trigger: 'watch'}, 'window');
			},
			onProblem: problem => {
				// A file a batch wanted read again cannot be read as a beam: reported here, and no longer owed (a transient failure is read again).
				if (!problem.error.retryable) {
					this.#ledger.dropRead(problem.path);
				}
				report(problemRecord(problem.error, 'warn', undefined, problem));
			},
		});
	}

	/** Init the node (or start waiting for it), then watch, then run the loop. Resolves once writes are being seen. */
	async start(): Promise<void> {
		const {transport, directories, index, report} = this.#options;
		// A held connection that drops is noticed at once, not at the next batch.
		transport.onDisconnect(reason => {
			if (this.#closing === undefined) {
				this.#nodeDown(new ReloaderError('ERR_NODE_DOWN', `Lost the connection to ${transport.node}: ${reason}`, {retryable: true}));
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
		const createWatcher = this.#options.createWatcher ?? (options => new BeamWatcher(options));
		const strays = straysWarning(index);
		if (strays !== undefined) {
			report(strays);
		}
		const onBeamWritten = (path: string) => {
			this.#writes.noteWrite(path);
			this.#settler.check(path);
		};
		this.#watcher = createWatcher({
			directories,
			onBeamWritten,
			onDirectory: event => report({event: 'directory', ...event}),
			onSiblingVersion: event => report({event: 'sibling', ...event}),
			onError: error => report(problemRecord(error, 'error')),
		});
		await this.#watcher.ready();
		// Behind the watcher: a change whose event inotify dropped is seen at the next look, as if the watcher had reported it.
		if (this.#closing === undefined && (this.#options.createWatcher === undefined || this.#options.listBeams !== undefined)) {
			this.#sweep = new DirectorySweep({directories, onChanged: onBeamWritten, onError: error => report(problemRecord(error, 'warn')), intervalMs: this.#options.sweepMs, list: this.#options.listBeams, clock: this.#clock});
		}
		report({event: 'watch', directories, beams: index.size});
		this.#looping = true;
		this.#reloader.start();
		this.#loop();
	}

	/** Update every modified module now (the `once` pass, `GET /update-modules/all`), through the queue. `nodes`: only these cluster members. */
	reconcile(trigger: Trigger, options: {readonly nodes?: readonly string[]} = {}): Promise<BatchRecord> {
		const id = this.#nextId();
		const {nodes} = this.#checkNodes(options.nodes);
		const at = this.#clock.now();
		const all: LedgerEntry = {module: ALL_MODULES, at, reason: 'api', trigger, since: at, due: at, ...(nodes === undefined ? {} : {nodes})};
		return this.#queue.add(async () => {
			this.#ledger.hold([all]);
			return this.#execute({id, trigger, ...(nodes === undefined ? {} : {nodes})}, [all]);
		}, {signal: this.#abort.signal});
	}

	/**
	 * Update exactly these modules now (`POST /update-modules`), through the
	 * same queue as the ledger's batches. `names` come from outside: they are
	 * checked against the beams of the watched directories before anything
	 * reaches the node (throws ERR_MODULE_NAME / ERR_MODULE_UNKNOWN). `purge`
	 * overrides the configured one for this batch (`brutal` forces modules
	 * that `purge: soft` holds back). What the ledger owes of these modules
	 * goes with the request: its batch reads their beams afresh.
	 */
	update(names: unknown, trigger: Trigger, options: {readonly purge?: PurgeMode; readonly nodes?: readonly string[]} = {}): Promise<BatchRecord> {
		const id = this.#nextId();
		const at = this.#clock.now();
		const changes = resolveRequestedModules(names, this.#options.index).map(({module, path}) => ({module, path, at}));
		const {nodes} = this.#checkNodes(options.nodes);
		const own: LedgerEntry[] = changes.map(change => ({...change, reason: 'api', trigger, since: at, due: at, ...(nodes === undefined ? {} : {nodes})}));
		return this.#queue.add(async () => {
			const covered = this.#ledger.takeModules(new Set(changes.map(({module}) => module)), nodes);
			this.#ledger.hold(own);
			const request: ReloadRequest = {id, trigger, changes, firstChangeAt: at, ...(nodes === undefined ? {} : {nodes}), ...(options.purge === undefined ? {} : {purge: options.purge})};
			return this.#execute(request, [...covered, ...own]);
		}, {signal: this.#abort.signal});
	}

	/** Members named by a request exist (a cluster only): checked before anything is queued. */
	#checkNodes(nodes: readonly string[] | undefined): {nodes?: readonly string[]} {
		if (nodes === undefined) {
			return {};
		}
		this.#reloader.checkNodes(nodes);
		return {nodes};
	}

	/**
	 * What differs now (`info`, `GET /update-modules`): update_info's list,
	 * and the loaded modules beyond its directory whose code is not their
	 * beam's (contrib modules). Reads only: no queue, no load, no purge.
	 */
	async updateInfo(): Promise<UpdateInfo> {
		const {transport, index, directories} = this.#options;
		await this.#session.ready(this.#abort.signal);
		for (const directory of directories) {
			const hazards = await this.#hazards.check(directory);
			if (hazards.length > 0) {
				throw scanHazardError(directory, hazards);
			}
		}
		const info = await transport.updateInfo(this.#abort.signal);
		const stale = await findStaleModules({transport, index, reach: info.dir ?? this.#ejabberdDirectory(), listed: info.modules, read: this.#readBeam, signal: this.#abort.signal});
		return stale.length === 0 ? info : {...info, modules: [...info.modules, ...stale.map(({module}) => module)]};
	}

	/** The beams of the watched directories, by module. */
	get index(): BeamIndex {
		return this.#options.index;
	}

	/** A snapshot of where work is in the pipeline, and of what the ledger owes. */
	status(): PipelineStatus {
		const now = this.#clock.now();
		const {transport, directories, config} = this.#options;
		return {
			node: transport.node,
			transport: transport.kind,
			connected: this.#session.initialised,
			versions: this.#reloader.versions,
			...(this.#reloader.kind === 'cluster' ? {members: this.#reloader.members()} : {}),
			directories,
			...unsettledStatus(this.#settler, now, config.incompleteTimeoutMs),
			pendingChanges: this.#ledger.owedCount,
			owed: this.#ledger.owed().map(({module, reason, since, due, nodes}) => ({
				module,
				reason,
				owedForMs: now - since,
				due: typeof due === 'number' ? Math.max(0, due - now) : due,
				...(nodes === undefined ? {} : {nodes}),
			})),
			queuedBatches: this.#queue.size,
			runningBatches: this.#queue.pending,
		};
	}

	/** Stop watching, run what the quiet window holds, let the queue drain within the grace period, then disconnect. */
	close(reason = 'closed'): Promise<void> {
		this.#closing ??= this.#close(reason);
		return this.#closing;
	}

	async #close(reason: string): Promise<void> {
		this.#options.report({event: 'stop', reason});
		await this.#watcher?.close();
		await this.#sweep?.close();
		this.#settler.close();
		// What the quiet window holds goes out now, as a last batch; work due later (a soft-purge retry) ends with the daemon.
		this.#ledger.releaseWindow(this.#clock.now());
		this.#window.reset();
		this.#loop();
		this.#looping = false;
		this.#cancelTimer();
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
		await this.#reloader.close();
		await this.#options.transport.close();
	}

	#owe(work: OwedWork, due: Due): void {
		if (this.#ledger.owe(work, due, this.#clock.now())) {
			this.#loop();
		}
	}

	/**
	 * The loop, one turn: close the quiet window if its time came; queue a
	 * batch if work is due and none is queued yet; wake again when the next
	 * piece of work falls due.
	 */
	#loop(): void {
		if (!this.#looping) {
			return;
		}
		const now = this.#clock.now();
		const closesAt = this.#window.closesAt();
		if (closesAt !== undefined && closesAt <= now) {
			this.#window.reset();
			this.#ledger.releaseWindow(now);
		}
		const nextDue = this.#ledger.nextDue();
		if (!this.#batchQueued && nextDue !== undefined && nextDue <= now) {
			this.#batchQueued = true;
			this.#queue.add(async () => this.#runDue(), {signal: this.#abort.signal}).catch(() => {
				// Already reported; what it held is owed again where retrying can help.
			});
		}
		// Work due already waits for the queued batch (whose end turns the loop again), not for a timer.
		const later = [this.#window.closesAt(), this.#ledger.nextDue()].filter((at): at is number => at !== undefined && at > now);
		this.#wakeAt(Math.min(...later));
	}

	/** One batch of what is due when it starts (nothing, if a request took it meanwhile). */
	async #runDue(): Promise<void> {
		this.#batchQueued = false;
		const entries = this.#ledger.takeDue(this.#clock.now());
		const [first] = entries;
		if (first === undefined) {
			this.#loop();
			return;
		}
		const everything = entries.some(({module}) => module === ALL_MODULES);
		const changes = everything ? undefined : entries.map(({module, path, at, snapshot}): BeamChange => ({module, path: path ?? '', at, ...(snapshot === undefined ? {} : {snapshot})}));
		const firstChangeAt = Math.min(...entries.map(({since}) => since));
		await this.#execute({id: this.#nextId(), trigger: first.trigger, ...(changes === undefined ? {} : {changes, firstChangeAt}), ...(first.nodes === undefined ? {} : {nodes: first.nodes})}, entries);
	}

	/** Run one batch whose work the ledger holds; its follow-ups are owed again, as data. */
	async #execute(request: ReloadRequest, held: readonly LedgerEntry[]): Promise<BatchRecord> {
		const {report, transport} = this.#options;
		try {
			await this.#session.ready(this.#abort.signal);
			const mark = this.#writes.mark();
			const record = this.#writes.deferRaced(await this.#reloader.reload(request, this.#abort.signal), request.changes, mark);
			report(record);
			this.#oweFollowUps(request, record, mark, transport.capabilities.verifyByContent);
			return record;
		} catch (error) {
			if (isNodeBusy(error) && !this.#abort.signal.aborted) {
				// Slow is not down: the node still runs an earlier scan; this batch's work waits for the next quiet window.
				report(problemRecord(error, 'warn', `Batch ${request.id} handed back`));
				this.#handBack(held, this.#clock.now() + this.#options.config.debounceMs);
			} else if (isRetryable(error) && !this.#abort.signal.aborted) {
				this.#nodeDown(error);
				this.#handBack(held, this.#clock.now());
			} else {
				report(problemRecord(error, 'error', `Batch ${request.id} failed`));
			}
			throw error;
		} finally {
			this.#ledger.finish();
			this.#loop();
		}
	}

	/**
	 * What a batch leaves owed: a beam it judged mid-write is read again (and
	 * owed until it is), what `purge: soft` held back is tried again after
	 * `purgeRetryMs`; the settle step forgets what it saw of a failed module,
	 * so its next write is handed on even unchanged.
	 */
	#oweFollowUps(request: ReloadRequest, record: BatchRecord, mark: number, byContent: boolean): void {
		const now = this.#clock.now();
		const beams = request.changes ?? this.#indexed([...record.deferred, ...record.failed.map(failure => failure.module)]);
		const {recheck, forget} = this.#writes.resettle(record, beams, mark, byContent);
		for (const path of forget) {
			this.#settler.forget(path);
		}
		for (const {module, path} of recheck) {
			this.#owe({module, path, at: now, reason: 'retry', trigger: 'watch'}, 'read');
			this.#settler.recheck(path);
		}
		for (const change of request.changes ?? []) {
			if (record.heldBack.includes(change.module)) {
				this.#owe({...change, reason: 'softPurge', trigger: 'watch'}, now + this.#options.config.purgeRetryMs);
			}
		}
	}

	/**
	 * A batch that could not run goes back into the ledger: nothing is lost,
	 * nothing runs twice at once. An `all` request hands back nothing: its
	 * caller was told, and the node's return re-runs the init step.
	 */
	#handBack(held: readonly LedgerEntry[], due: number): void {
		if (this.#closing !== undefined) {
			return;
		}
		for (const {since: _since, due: _due, ...work} of held) {
			const asked = work.trigger === 'api' || work.trigger === 'once';
			if (!(asked && work.module === ALL_MODULES)) {
				this.#ledger.owe({...work, reason: 'reconnect', trigger: asked ? 'watch' : work.trigger}, due, this.#clock.now());
			}
		}
	}

	#wakeAt(at: number): void {
		this.#cancelTimer();
		if (Number.isFinite(at) && this.#looping) {
			this.#timer = this.#clock.setTimer(() => {
				this.#timer = undefined;
				this.#loop();
			}, Math.max(0, at - this.#clock.now()));
		}
	}

	#cancelTimer(): void {
		if (this.#timer !== undefined) {
			this.#clock.clearTimer(this.#timer);
			this.#timer = undefined;
		}
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

	/** update_info's directory when the transport does not say: the watched one holding ejabberd.beam. */
	#ejabberdDirectory(): string | undefined {
		const path = this.#options.index.get('ejabberd')?.path;
		return path === undefined ? undefined : dirname(path);
	}

	/** Where the index puts these modules' beams (an `all` batch has no changes of its own). */
	#indexed(modules: readonly string[]): Array<{module: string; path: string}> {
		return modules.flatMap(module => {
			const path = this.#options.index.get(module)?.path;
			return path === undefined ? [] : [{module, path}];
		});
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
			this.#loop();
		}
	}
}

function isNodeBusy(error: unknown): boolean {
	return error instanceof ReloaderError && error.code === 'ERR_NODE_BUSY';
}
