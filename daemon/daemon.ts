import {setMaxListeners} from 'node:events';
import {resolve} from 'node:path';
import PQueue from 'p-queue';
import type {PipelineStatus} from './pipeline-status.ts';
import type {BeamChange} from './batcher/batch.ts';
import {counter} from './batcher/batch-ids.ts';
import {systemClock, type Clock, type TimerHandle} from './batcher/clock.ts';
import {boundedBeamReader, type BeamReader} from './beam/beam-snapshot.ts';
import {ReloaderError, isRetryable} from './errors.ts';
import {followUpsOf, handedBack, type OwedAgain} from './ledger/follow-ups.ts';
import {ALL_MODULES, type LedgerEntry, type LedgerView} from './ledger/ledger.ts';
import {WorkSchedule} from './ledger/work-schedule.ts';
import type {BeamIndex} from './modules/beam-index.ts';
import {resolveRequestedModules} from './modules/requested-modules.ts';
import {scanBeams} from './modules/scan-beams.ts';
import {findStaleModules} from './modules/stale-modules.ts';
import {straysWarning} from './modules/strays-warning.ts';
import {NodeSession} from './node/node-session.ts';
import {waitForNode} from './node/wait-for-node.ts';
import {problemRecord} from './records.ts';
import type {BatchRecord, Trigger} from './reloader/batch-record.ts';
import type {BatchReloader} from './reloader/batch-reloader.ts';
import {Reloader, type ReloaderOptions, type ReloadRequest} from './reloader/reloader.ts';
import {WritesDuringBatch} from './reloader/writes-during-batch.ts';
import {scanHazardError} from './reloader/directory-race.ts';
import {ScanHazardGuard} from './reloader/scan-hazard-guard.ts';
import {findScanHazards} from './reloader/settle-directory.ts';
import {settleWatched} from './settle-watched.ts';
import {SourceCompiler} from './sources/source-compiler.ts';
import {CompiledBeams} from './sources/compiled-beams.ts';
import type {WrittenBeam} from './sources/write-beam.ts';
import type {PurgeMode, UpdateInfo} from './transports/transport.ts';
import {BeamSettler} from './watcher/beam-settler.ts';
import {BeamWatcher} from './watcher/beam-watcher.ts';
import {ContribFollower} from './watcher/contrib-follower.ts';
import {DirectorySweep} from './watcher/directory-sweep.ts';
import {unsettledStatus} from './watcher/unsettled-status.ts';
import type {BatchReloaderContext, DaemonOptions, WatchSource} from './daemon-options.ts';

export type {BatchReloaderContext, DaemonOptions, WatchSource} from './daemon-options.ts';

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
	/** The ledger of owed work, and when it falls due. */
	readonly #work: WorkSchedule;
	readonly #settler: BeamSettler;
	readonly #abort = new AbortController();
	readonly #hazards: ScanHazardGuard;
	/** Tells a write made while a batch ran. */
	readonly #writes = new WritesDuringBatch();
	readonly #readBeam: BeamReader;
	/** The watched directories; a contrib module's ebin installed while the daemon runs joins them (watchDirectory). Read live by the parts that use them. */
	readonly #directories: string[];
	#watcher: WatchSource | undefined;
	#sweep: DirectorySweep | undefined;
	#contrib: ContribFollower | undefined;
	/** Save to live: compiles saved sources into watched ebins (absent without `sources`). */
	readonly #sources: SourceCompiler | undefined;
	/** Beams the compile stage wrote: their settle is owed at once, and the watcher's report of them is no outside write. */
	readonly #compiled = new CompiledBeams();
	/** A batch of owed work is queued and has not started: it takes whatever is due when it does. */
	#batchQueued = false;
	#waitingForNode = false;
	#closing: Promise<void> | undefined;

	constructor(options: DaemonOptions) {
		this.#options = options;
		// Every call in flight listens to this signal; a batch keeps a few dozen in flight (dist's STATE_CONCURRENCY).
		setMaxListeners(100, this.#abort.signal);
		const {config, transport, index, report} = options;
		this.#directories = [...options.directories];
		this.#nextId = options.nextId ?? counter();
		this.#clock = options.clock ?? systemClock;
		this.#work = new WorkSchedule({debounceMs: config.debounceMs, maxWaitMs: config.maxWaitMs, clock: this.#clock, onDue: () => this.#queueDue()});
		this.#readBeam = options.readBeam ?? boundedBeamReader(config.maxBeamBytes);
		this.#hazards = new ScanHazardGuard({
			directories: this.#directories,
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
				this.#work.owe({module, path, snapshot, at: this.#clock.now(), reason: 'catchUp', trigger: 'init'}, this.#clock.now());
			}
		}, async (info, signal) => findStaleModules({transport, index, reach: info.dir ?? index.ejabberdDirectory(), listed: info.modules, read: this.#readBeam, signal}));
		// The index is not written here: only batches, in queue order, note what a beam became.
		this.#settler = new BeamSettler({
			incompleteTimeoutMs: config.incompleteTimeoutMs,
			read: this.#readBeam,
			clock: this.#clock,
			onSettled: beam => {
				if (this.#compiled.isCompiled(beam.path, beam.snapshot?.digest)) {
					// Written whole by the compile stage (renamed into place): no burst to wait out.
					this.#work.owe({...beam, reason: 'compile', trigger: 'compile'}, this.#clock.now());
				} else {
					this.#work.oweWrite({...beam, reason: 'watch', trigger: 'watch'});
				}
			},
			onProblem: problem => {
				// A file a batch wanted read again cannot be read as a beam: reported here, and no longer owed (a transient failure is read again).
				if (!problem.error.retryable) {
					this.#work.ledger.dropRead(problem.path);
				}
				report(problemRecord(problem.error, 'warn', undefined, problem));
			},
		});
		const reloaderOptions: ReloaderOptions = {
			purge: config.purge,
			loadNew: config.loadNew,
			readBeam: this.#readBeam,
			settleDirectory: settleWatched(this.#directories, this.#settler, {deadlineMs: config.incompleteTimeoutMs, clock: this.#clock, report}),
			scanHazards: async directory => this.#hazards.check(directory),
			purgeSoftTimeoutMs: config.purgeSoftTimeoutMs,
			now: () => this.#clock.now(),
			onKilled: report,
		};
		const context: BatchReloaderContext = {transport, index, options: reloaderOptions, report, owe: work => this.#work.owe(work, this.#clock.now()), signal: this.#abort.signal};
		this.#reloader = options.createReloader?.(context) ?? new Reloader(transport, index, reloaderOptions);
		const {sources} = options;
		const nextRound = counter();
		// With `sources: auto` the stage runs from the start, though the contrib modules' sources come later.
		this.#sources = sources === undefined || (sources.directories.length === 0 && options.contrib?.compileSources !== true) ? undefined : new SourceCompiler({
			directories: sources.directories,
			watchMode: sources.watchMode,
			pollMs: sources.pollMs,
			...(sources.createWatcher === undefined ? {} : {createWatcher: sources.createWatcher}),
			compiler: sources.createCompiler({
				ejabberdEbin: () => index.ejabberdDirectory(),
				ejabberdVersion: () => this.#reloader.versions?.ejabberd,
				warn: message => report({event: 'error', severity: 'warn', code: 'WARN_COMPILER_FALLBACK', message}),
			}),
			debounceMs: config.debounceMs,
			maxWaitMs: config.maxWaitMs,
			clock: this.#clock,
			nextRound,
			onRecord: report,
			onProblem: (error, severity) => report(problemRecord(error, severity)),
			onBeamWritten: beam => this.#compiledBeam(beam),
		});
	}

	/** Init the node (or start waiting for it), then watch, then run the loop. Resolves once writes are being seen. */
	async start(): Promise<void> {
		const {transport, index, report} = this.#options;
		const directories = this.#directories;
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
		this.#watcher = createWatcher({
			directories,
			onBeamWritten: path => {
				if (!this.#compiled.isEcho(path, this.#clock.now())) {
					this.#writes.noteWrite(path);
				}
				this.#sweep?.noteWritten(path);
				this.#settler.check(path);
			},
			onDirectory: event => report({event: 'directory', ...event}),
			onSiblingVersion: event => report({event: 'sibling', ...event}),
			onError: error => report(problemRecord(error, 'error')),
		});
		await this.#watcher.ready();
		// Behind the watcher: a change whose event inotify dropped is seen at the next look and read like any write. It is
		// not counted as a write during a batch: the look usually repeats a write the watcher reported long before, and
		// would defer a batch's verdict on it for nothing; a change it finds is handed on by the settler all the same.
		if (this.#closing === undefined && (this.#options.createWatcher === undefined || this.#options.listBeams !== undefined)) {
			this.#sweep = new DirectorySweep({directories, onChanged: path => this.#settler.check(path), onError: error => report(problemRecord(error, 'warn')), intervalMs: this.#options.sweepMs, list: this.#options.listBeams, clock: this.#clock});
		}
		await this.#sources?.start();
		await this.#followContrib();
		report({event: 'watch', directories: [...directories], beams: index.size, ...(this.#sources === undefined ? {} : {sources: this.#sources.status().directories})});
		this.#reloader.start();
		this.#work.start();
	}

	/** Update every modified module now (the `once` pass, `GET /update-modules/all`), through the queue. `nodes`: only these cluster members. */
	reconcile(trigger: Trigger, options: {readonly nodes?: readonly string[]} = {}): Promise<BatchRecord> {
		const id = this.#nextId();
		const {nodes} = this.#checkNodes(options.nodes);
		const at = this.#clock.now();
		const all: LedgerEntry = {module: ALL_MODULES, at, reason: 'api', trigger, since: at, due: at, ...(nodes === undefined ? {} : {nodes})};
		return this.#queue.add(async () => {
			this.#work.ledger.hold([all]);
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
			const covered = this.#work.ledger.takeModules(new Set(changes.map(({module}) => module)), nodes);
			this.#work.ledger.hold(own);
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
		const {transport, index} = this.#options;
		await this.#session.ready(this.#abort.signal);
		for (const directory of this.#directories) {
			const hazards = await this.#hazards.check(directory);
			if (hazards.length > 0) {
				throw scanHazardError(directory, hazards);
			}
		}
		const info = await transport.updateInfo(this.#abort.signal);
		const stale = await findStaleModules({transport, index, reach: info.dir ?? index.ejabberdDirectory(), listed: info.modules, read: this.#readBeam, signal: this.#abort.signal});
		return stale.length === 0 ? info : {...info, modules: [...info.modules, ...stale.map(({module}) => module)]};
	}

	/**
	 * Watch one more directory from now on (a contrib module's ebin that
	 * `module_install` created while the daemon ran): its beams are indexed
	 * as they are now (the baseline a later change is told by), then its
	 * writes are seen like any watched directory's. Resolves once they are.
	 */
	async watchDirectory(directory: string): Promise<void> {
		if (this.#closing !== undefined || this.#directories.some(watched => resolve(watched) === resolve(directory))) {
			return;
		}
		this.#directories.push(directory);
		const before = this.#options.index.size;
		await scanBeams([directory], this.#readBeam, this.#options.index);
		await this.#watcher?.add(directory);
		this.#options.report({event: 'watch', directories: [directory], beams: this.#options.index.size - before});
	}

	/**
	 * `watch: auto`, `sources: auto`: what ejabberd's contrib modules
	 * directory holds, now and as `module_install` adds to it, is watched
	 * (each module's ebin) and compiled (its sources, into that ebin).
	 */
	async #followContrib(): Promise<void> {
		const {contrib, report} = this.#options;
		if (contrib === undefined || this.#closing !== undefined) {
			return;
		}
		const added = (what: string) => (error: unknown) => report(problemRecord(error, 'error', `Following ${what} in ${contrib.root}`));
		this.#contrib = new ContribFollower({
			root: contrib.root,
			onEbin: (module, ebin) => {
				if (contrib.watchEbins) {
					void this.watchDirectory(ebin).catch(added(`${module}'s ebin`));
				}
			},
			onSources: (module, dir, ebin) => {
				if (contrib.compileSources) {
					// Its ebin is watched first: the beams compiled into it take the road of any installed beam.
					void this.watchDirectory(ebin).then(async () => this.#sources?.add({dir, ebin, include: []})).catch(added(`${module}'s sources`));
				}
			},
			onError: error => report(problemRecord(error, 'warn')),
		});
		await this.#contrib.ready();
	}

	/** What the daemon owes the node, and what the running batch holds (read only). */
	get ledger(): LedgerView {
		return this.#work.ledger;
	}

	/** The beams of the watched directories, by module. */
	get index(): BeamIndex {
		return this.#options.index;
	}

	/** A snapshot of where work is in the pipeline, and of what the ledger owes. */
	status(): PipelineStatus {
		const now = this.#clock.now();
		const {transport, config} = this.#options;
		const directories = [...this.#directories];
		return {
			node: transport.node,
			transport: transport.kind,
			connected: this.#session.initialised,
			versions: this.#reloader.versions,
			...(this.#reloader.kind === 'cluster' ? {members: this.#reloader.members()} : {}),
			directories,
			...unsettledStatus(this.#settler, now, config.incompleteTimeoutMs),
			pendingChanges: this.#work.ledger.owedCount,
			owed: this.#work.ledger.owed().map(({module, reason, since, due, nodes}) => ({
				module,
				reason,
				owedForMs: now - since,
				due: typeof due === 'number' ? Math.max(0, due - now) : due,
				...(nodes === undefined ? {} : {nodes}),
			})),
			queuedBatches: this.#queue.size,
			runningBatches: this.#queue.pending,
			...(this.#sources === undefined ? {} : {compile: this.#sources.status()}),
		};
	}

	/** Stop watching, run what the quiet window holds, let the queue drain within the grace period, then disconnect. */
	close(reason = 'closed'): Promise<void> {
		this.#closing ??= this.#close(reason);
		return this.#closing;
	}

	async #close(reason: string): Promise<void> {
		this.#options.report({event: 'stop', reason});
		// Sources first: a round cut short writes nothing more, so the watcher has nothing left to see.
		await this.#contrib?.close();
		await this.#sources?.close();
		await this.#watcher?.close();
		await this.#sweep?.close();
		this.#settler.close();
		// What the quiet window holds goes out now, as a last batch; work due later (a soft-purge retry) ends with the daemon.
		this.#work.flush();
		this.#work.stop();
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

	/** The compile stage put a beam into a watched ebin (whole): read now rather than when the watcher reports it, and owed at once (onSettled). */
	#compiledBeam(beam: WrittenBeam): void {
		this.#compiled.note(beam, this.#clock.now());
		this.#sweep?.noteWritten(beam.path);
		this.#settler.check(beam.path);
	}

	/** Follow-ups and hand-backs into the ledger (not once the daemon stops: what is owed then ends with it). */
	#oweAgain(owed: readonly OwedAgain[]): void {
		for (const {work, due} of owed) {
			if (this.#closing === undefined) {
				this.#work.ledger.owe(work, due, this.#clock.now());
			}
		}
	}

	/** Work is due: one batch is queued for it, which takes whatever is due when it starts. */
	#queueDue(): void {
		if (this.#batchQueued) {
			return;
		}
		this.#batchQueued = true;
		this.#queue.add(async () => this.#runDue(), {signal: this.#abort.signal}).catch(() => {
			// Already reported; what it held is owed again where retrying can help.
		});
	}

	/** One batch of what is due when it starts (nothing, if a request took it meanwhile). */
	async #runDue(): Promise<void> {
		this.#batchQueued = false;
		const entries = this.#work.ledger.takeDue(this.#clock.now());
		const [first] = entries;
		if (first === undefined) {
			this.#work.turn();
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
			// An `all` batch has no changes of its own: its deferred and failed modules are where the index puts them.
			const beams = request.changes ?? this.#options.index.locate([...record.deferred, ...record.failed.map(failure => failure.module)]);
			const now = this.#clock.now();
			const followUps = followUpsOf(record, request.changes, this.#writes.resettle(record, beams, mark, transport.capabilities.verifyByContent), now, now + this.#options.config.purgeRetryMs);
			for (const path of followUps.forget) {
				this.#settler.forget(path);
			}
			this.#oweAgain(followUps.owed);
			for (const {path} of followUps.recheck) {
				this.#settler.recheck(path);
			}
			return record;
		} catch (error) {
			if (error instanceof ReloaderError && error.code === 'ERR_NODE_BUSY' && !this.#abort.signal.aborted) {
				// Slow is not down: the node still runs an earlier scan; this batch's work waits for the next quiet window.
				report(problemRecord(error, 'warn', `Batch ${request.id} handed back`));
				this.#oweAgain(handedBack(held, this.#clock.now() + this.#options.config.debounceMs));
			} else if (isRetryable(error) && !this.#abort.signal.aborted) {
				this.#nodeDown(error);
				this.#oweAgain(handedBack(held, this.#clock.now()));
			} else {
				report(problemRecord(error, 'error', `Batch ${request.id} failed`));
			}
			throw error;
		} finally {
			this.#work.ledger.finish();
			this.#work.turn();
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
			this.#work.turn();
		}
	}
}
