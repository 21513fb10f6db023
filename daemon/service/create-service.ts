import {isDeepStrictEqual} from 'node:util';
import {resolveApiAccess, type ApiAccess} from '../api/api-access.ts';
import type {PipelineStatus, ReconfigureState} from '../pipeline-status.ts';
import {startApiServer, type ApiServer} from '../api/api-server.ts';
import {boundedBeamReader} from '../beam/beam-snapshot.ts';
import {counter} from '../batcher/batch-ids.ts';
import type {ResolvedConfig} from '../config/schema.ts';
import {ReloaderError} from '../errors.ts';
import {createRecordLogger, type RecordLogger} from '../log/create-logger.ts';
import type {BeamIndex} from '../modules/beam-index.ts';
import {scanBeams} from '../modules/scan-beams.ts';
import {RecordBus} from '../record-bus.ts';
import {problemRecord, type DaemonRecord} from '../records.ts';
import type {Daemon} from '../daemon.ts';
import {openPipeline, type Pipeline} from './open-pipeline.ts';
import {PipelineCheckError, asProblem} from './pipeline-error.ts';
import type {ForwardsEveryParameter, ServiceCalls} from '../service-calls.ts';

export interface ServiceOptions {
	/** The package version, for the start record and `/status`. */
	readonly version: string;
	/**
	 * `daemon` (run, sandbox): watch the directories and serve the HTTP API.
	 * `oneshot` (once, info): neither; the init step still runs before the first call.
	 */
	readonly mode: 'daemon' | 'oneshot';
	/** Which records the log shows; default: all (once prints its batch on stdout instead). */
	readonly logFilter?: (record: DaemonRecord) => boolean;
	/** Builds the logger for a log config; default: winston on stderr (tests give their own). */
	readonly createLogger?: (log: ResolvedConfig['log']) => RecordLogger;
}

/**
 * The whole program, assembled in one place; every command is a thin wrapper
 * around it, and the HTTP API is handed the service itself (ServiceCalls:
 * the Daemon's own method types, so no call can drop a parameter).
 */
export interface Service extends ServiceCalls {
	/** Every record: the log is one subscriber, `GET /events` clients the others. */
	readonly records: RecordBus;
	/** The HTTP API while it listens (daemon mode with `api.enabled`). */
	readonly api: ApiServer | undefined;
	/** Open the node, watch, serve the API. A problem found before anything runs throws (exit 2 for config problems). */
	start(): Promise<void>;
	/**
	 * Reconfigure (SIGHUP, `systemctl reload`): put a new configuration to
	 * work. The whole new pipeline is built and checked first, and only then
	 * swapped in. A configuration that cannot work (or an error from reading
	 * it) is refused: the running pipeline stays as it was, every reason is
	 * logged and `/status` says so. Never throws.
	 */
	reconfigure(next: ResolvedConfig | Error): Promise<ReconfigureState>;
	/** Stop taking requests, stop the pipeline (its running batch finishes within the grace period), close the log; idempotent. */
	close(reason: string): Promise<void>;
}

export function createService(config: ResolvedConfig, options: ServiceOptions): Service {
	return new ReloaderService(config, options) satisfies ForwardsEveryParameter<ReloaderService>;
}

class ReloaderService implements Service {
	readonly records = new RecordBus();
	readonly #options: ServiceOptions;
	readonly #nextId = counter();
	#config: ResolvedConfig;
	#logger: RecordLogger;
	#unsubscribeLogger: () => void;
	#pipeline: Pipeline | undefined;
	#api: ApiServer | undefined;
	#lastReconfigure: ReconfigureState | undefined;
	/** Reconfigurations run one after the other. */
	#reconfigurations: Promise<unknown> = Promise.resolve();
	/** While one pipeline replaces another, API calls wait for the new one. */
	#swapping: Promise<void> | undefined;
	#closing: Promise<void> | undefined;

	constructor(config: ResolvedConfig, options: ServiceOptions) {
		this.#config = config;
		this.#options = options;
		this.#logger = this.#createLogger(config.log);
		this.#unsubscribeLogger = this.#subscribeLogger(this.#logger);
	}

	get api(): ApiServer | undefined {
		return this.#api;
	}

	async start(): Promise<void> {
		const daemonMode = this.#options.mode === 'daemon';
		try {
			// Before the node is touched: an API that would be open to others is a config error (exit 2).
			const [accessResult, pipelineResult] = await Promise.allSettled([
				daemonMode ? resolveApiAccess(this.#config.api, this.#warn('WARN_SECRET_FILE')) : Promise.resolve(undefined),
				openPipeline(this.#config, this.#context(false)),
			]);
			const problems = [accessResult, pipelineResult].flatMap(result => result.status === 'rejected' ? problemsOf(result.reason, 'configuration') : []);
			if (accessResult.status === 'rejected' || pipelineResult.status === 'rejected') {
				await (pipelineResult.status === 'fulfilled' ? pipelineResult.value.transport.close() : undefined);
				throw problems.length === 1 ? problems[0] : new PipelineCheckError(problems);
			}
			const access = accessResult.value;
			const pipeline = pipelineResult.value;
			this.#pipeline = pipeline;
			this.records.publish({event: 'start', version: this.#options.version, node: pipeline.transport.node, transport: pipeline.transport.kind, debounceMs: this.#config.debounceMs, maxWaitMs: this.#config.maxWaitMs});
			if (daemonMode) {
				await pipeline.daemon.start();
				this.#api = access === undefined ? undefined : await this.#startApi(access, this.#config);
			}
		} catch (error) {
			// The API could not listen after the pipeline started: stop what did start, or the process never exits.
			await this.#pipeline?.daemon.close('start failed');
			await this.#closeLogger();
			throw error;
		}
	}

	reconfigure(next: ResolvedConfig | Error): Promise<ReconfigureState> {
		const reconfiguring = this.#reconfigurations.then(async () => this.#reconfigure(next));
		this.#reconfigurations = reconfiguring.catch(() => undefined);
		return reconfiguring;
	}

	// The running pipeline's own calls, every argument passed on (during a swap, the new pipeline's).
	async reconcile(...args: Parameters<Daemon['reconcile']>): ReturnType<Daemon['reconcile']> {
		return (await this.#current()).daemon.reconcile(...args);
	}

	async update(...args: Parameters<Daemon['update']>): ReturnType<Daemon['update']> {
		return (await this.#current()).daemon.update(...args);
	}

	async updateInfo(...args: Parameters<Daemon['updateInfo']>): ReturnType<Daemon['updateInfo']> {
		return (await this.#current()).daemon.updateInfo(...args);
	}

	/** Always the current pipeline's, so the API server outlives a reconfiguration. */
	get index(): Daemon['index'] {
		return this.#requirePipeline().daemon.index;
	}

	status(): PipelineStatus {
		const status = this.#requirePipeline().daemon.status();
		return {...status, lastReconfigure: this.#lastReconfigure};
	}

	close(reason: string): Promise<void> {
		this.#closing ??= this.#close(reason);
		return this.#closing;
	}

	/**
	 * Stop accepting requests first; requests already waiting for a batch keep
	 * their connection and get its answer while the pipeline stops the watcher,
	 * flushes and lets the running batch finish. The log closes last, so the
	 * `stop` record and that batch's record are written.
	 */
	async #close(reason: string): Promise<void> {
		await this.#reconfigurations;
		const apiClosed = this.#api?.close();
		await this.#pipeline?.daemon.close(reason);
		await apiClosed;
		await this.#closeLogger();
	}

	async #reconfigure(next: ResolvedConfig | Error): Promise<ReconfigureState> {
		if (this.#closing !== undefined) {
			return this.#refuse([new ReloaderError('ERR_CONFIG_INVALID', 'The daemon is stopping; the new configuration was not applied')]);
		}
		if (next instanceof Error) {
			return this.#refuse(problemsOf(next, 'configuration'));
		}
		let prepared: Prepared;
		try {
			prepared = await this.#prepare(next);
		} catch (error) {
			return this.#refuse(problemsOf(error, 'configuration'));
		}
		await this.#swapIn(next, prepared);
		return this.#noteReconfigure('applied', []);
	}

	/** Build and check everything the new configuration needs, while the running pipeline goes on. */
	async #prepare(next: ResolvedConfig): Promise<Prepared> {
		const apiChanged = !isDeepStrictEqual(next.api, this.#config.api);
		const logChanged = !isDeepStrictEqual(next.log, this.#config.log);
		const [access, pipeline, logger] = await Promise.allSettled([
			apiChanged && next.api.enabled ? resolveApiAccess(next.api, this.#warn('WARN_SECRET_FILE')) : Promise.resolve(undefined),
			openPipeline(next, this.#context(true)),
			logChanged ? Promise.resolve().then(() => this.#createLogger(next.log)) : Promise.resolve(undefined),
		]);
		const problems = [access, pipeline, logger].flatMap(result => result.status === 'rejected' ? problemsOf(result.reason, 'configuration') : []);
		let api: ApiServer | undefined;
		// A new address is bound before the swap: one that is taken refuses the new configuration.
		if (problems.length === 0 && access.status === 'fulfilled' && access.value !== undefined && (this.#api === undefined || next.api.listen !== this.#config.api.listen)) {
			api = await this.#startApi(access.value, next).catch((error: unknown) => {
				problems.push(asProblem(error, 'api.listen'));
				return undefined;
			});
		}
		if (problems.length > 0) {
			await (pipeline.status === 'fulfilled' ? pipeline.value.transport.close() : undefined);
			await (logger.status === 'fulfilled' ? logger.value?.close() : undefined);
			throw new PipelineCheckError(problems);
		}
		return {
			pipeline: (pipeline as PromiseFulfilledResult<Pipeline>).value,
			apiChanged,
			access: access.status === 'fulfilled' ? access.value : undefined,
			api,
			logger: logger.status === 'fulfilled' ? logger.value : undefined,
		};
	}

	/**
	 * Replace the running pipeline. The old one stops the way SIGTERM stops it
	 * (its batches finish); changes written meanwhile are caught up by the new one.
	 */
	async #swapIn(next: ResolvedConfig, prepared: Prepared): Promise<void> {
		const old = this.#requirePipeline();
		let swapped!: () => void;
		this.#swapping = new Promise(resolve => {
			swapped = resolve;
		});
		try {
			const before = old.daemon.index;
			await old.daemon.close('reconfiguring (SIGHUP)');
			this.#pipeline = prepared.pipeline;
			this.#config = next;
			if (prepared.logger !== undefined) {
				const oldLogger = this.#logger;
				this.#unsubscribeLogger();
				this.#logger = prepared.logger;
				this.#unsubscribeLogger = this.#subscribeLogger(prepared.logger);
				await oldLogger.close();
			}
			await this.#startReplacement(prepared.pipeline, old);
			if (prepared.apiChanged) {
				await this.#replaceApi(next, prepared);
			}
			const {transport, directories} = this.#requirePipeline();
			this.records.publish({event: 'reconfigure', outcome: 'applied', node: transport.node, transport: transport.kind, directories, debounceMs: next.debounceMs, maxWaitMs: next.maxWaitMs});
			// Through the queue like any batch, and not awaited: with the node down it waits for the node, and requests must not wait for that.
			this.#catchUp(before);
		} finally {
			this.#swapping = undefined;
			swapped();
		}
	}

	/** Start the new pipeline; if it cannot start after all, the old configuration is put back, so the daemon still works. */
	async #startReplacement(pipeline: Pipeline, old: Pipeline): Promise<void> {
		try {
			await pipeline.daemon.start();
		} catch (error) {
			this.records.publish(problemRecord(error, 'error', 'The new configuration passed its checks but its pipeline failed to start; the previous configuration is restored'));
			await pipeline.daemon.close('start failed');
			const restored = await openPipeline(old.config, this.#context(false));
			this.#pipeline = restored;
			this.#config = old.config;
			await restored.daemon.start();
		}
	}

	async #replaceApi(next: ResolvedConfig, prepared: Prepared): Promise<void> {
		const old = this.#api;
		if (prepared.api !== undefined) {
			this.#api = prepared.api;
			await old?.close();
			return;
		}
		// Same address, another token, or the API turned off: the old server must let go of the port first.
		await old?.close();
		this.#api = undefined;
		if (prepared.access !== undefined) {
			try {
				this.#api = await this.#startApi(prepared.access, next);
			} catch (error) {
				this.records.publish(problemRecord(error, 'error', 'The HTTP API could not listen again after the reconfiguration'));
			}
		}
	}

	/**
	 * Beams whose version changed between the old pipeline's last look and the
	 * new one's watcher being ready: update them, nothing is lost. The old
	 * watcher closed before the new one was ready, so the directories are read
	 * again now, after it is: a write in that window is in this scan, any later
	 * one reaches the new watcher.
	 */
	#catchUp(before: BeamIndex): void {
		const {daemon, directories, config} = this.#requirePipeline();
		const catchUp = async () => {
			const now = await scanBeams(directories, boundedBeamReader(config.maxBeamBytes));
			const changed = now.modules().filter(module => {
				const vsn = now.get(module)?.vsn;
				return vsn !== undefined && before.get(module)?.vsn !== vsn && daemon.index.has(module);
			});
			if (changed.length > 0) {
				await daemon.update(changed, 'watch');
			}
		};
		catchUp().catch((error: unknown) => {
			// A batch failure is already reported through the bus; anything else is reported here.
			if (!(error instanceof ReloaderError)) {
				this.records.publish(problemRecord(error, 'error', 'Catching up the beams written during the reconfiguration failed'));
			}
		});
	}

	#refuse(problems: readonly ReloaderError[]): ReconfigureState {
		for (const problem of problems) {
			this.records.publish(problemRecord(problem, 'error', 'SIGHUP: the new configuration was refused, the running one is kept'));
		}
		const reasons = problems.map(problem => problem.message);
		this.records.publish({event: 'reconfigure', outcome: 'refused', reasons});
		return this.#noteReconfigure('refused', reasons);
	}

	#noteReconfigure(outcome: ReconfigureState['outcome'], reasons: readonly string[]): ReconfigureState {
		this.#lastReconfigure = Object.freeze({outcome, at: new Date().toISOString(), reasons});
		return this.#lastReconfigure;
	}

	/** The pipeline to use now; during a swap, the one being swapped in. */
	async #current(): Promise<Pipeline> {
		await this.#swapping;
		return this.#requirePipeline();
	}

	#requirePipeline(): Pipeline {
		if (this.#pipeline === undefined) {
			throw new ReloaderError('ERR_NODE_DOWN', 'The daemon has not started yet', {retryable: true, hint: 'Ask again in a moment.'});
		}
		return this.#pipeline;
	}

	#startApi(access: ApiAccess, config: ResolvedConfig): Promise<ApiServer> {
		return startApiServer({
			access,
			// The service itself: what the API calls is the service's own type, every parameter passed on.
			daemon: this,
			records: this.records,
			report: this.records.publish,
			version: this.#options.version,
			drainTimeoutMs: config.shutdownGraceMs,
		}).then(api => {
			this.records.publish({event: 'api', listen: api.address, url: api.url, tokenRequired: api.tokenRequired});
			return api;
		});
	}

	#context(probe: boolean) {
		return {report: this.records.publish, nextId: this.#nextId, probe};
	}

	#warn(code: string): (message: string) => void {
		return message => this.records.publish({event: 'error', severity: 'warn', code, message});
	}

	#createLogger(log: ResolvedConfig['log']): RecordLogger {
		return (this.#options.createLogger ?? createRecordLogger)(log);
	}

	#subscribeLogger(logger: RecordLogger): () => void {
		const filter = this.#options.logFilter;
		return this.records.subscribe(record => {
			if (filter === undefined || filter(record)) {
				logger.log(record);
			}
		});
	}

	async #closeLogger(): Promise<void> {
		this.#unsubscribeLogger();
		await this.#logger.close();
	}
}

/** Every problem an error stands for: a check error lists several. */
function problemsOf(error: unknown, what: string): ReloaderError[] {
	return error instanceof PipelineCheckError ? [...error.problems] : [asProblem(error, what)];
}

interface Prepared {
	readonly pipeline: Pipeline;
	readonly apiChanged: boolean;
	/** The new API's access, when the new config serves one and it differs. */
	readonly access: ApiAccess | undefined;
	/** Already listening on a new address. */
	readonly api: ApiServer | undefined;
	/** A new logger, when the log config changed. */
	readonly logger: RecordLogger | undefined;
}
