import {resolveApiAccess} from '../../api/api-access.ts';
import {startApiServer, type ApiServer} from '../../api/api-server.ts';
import type {ResolvedConfig} from '../../config/schema.ts';
import {Daemon} from '../../daemon.ts';
import type {BeamIndex} from '../../modules/beam-index.ts';
import {createRecordLogger} from '../../log/create-logger.ts';
import {openNode} from '../../open-node.ts';
import {RecordBus} from '../../record-bus.ts';
import {problemRecord} from '../../records.ts';
import {readVersion} from '../read-version.ts';

export interface RunningDaemon {
	readonly daemon: Daemon;
	/** Every record the daemon and the API report; the log is one subscriber, `GET /events` clients the others. */
	readonly bus: RecordBus;
	/** The HTTP API; undefined with `api.enabled: false`. */
	readonly api: ApiServer | undefined;
	/** Stop accepting requests, stop the daemon (the running batch finishes within shutdownGraceMs), then flush the log; idempotent. */
	stop(reason: string): Promise<void>;
}

/** Start the daemon with its logger and its HTTP API; used by `run` and `sandbox`. */
export async function startDaemon(config: ResolvedConfig): Promise<RunningDaemon> {
	const logger = createRecordLogger(config.log);
	const version = readVersion();
	const bus = new RecordBus();
	bus.subscribe(record => logger.log(record));
	let daemon: Daemon | undefined;
	try {
		// Before the node is touched: an API that would be open to others is a config error (exit 2).
		const access = await resolveApiAccess(config.api, message => bus.publish({event: 'error', severity: 'warn', code: 'WARN_SECRET_FILE', message}));
		const {transport, directories, index} = await openNode(config, bus.publish);
		bus.publish({event: 'start', version, node: transport.node, transport: transport.kind, debounceMs: config.debounceMs, maxWaitMs: config.maxWaitMs});
		daemon = new Daemon({config, transport, directories, index, report: bus.publish, graceMs: config.shutdownGraceMs});
		await daemon.start();
		const api = access === undefined ? undefined : await startApiServer({
			access,
			daemon,
			records: bus,
			report: bus.publish,
			version,
			drainTimeoutMs: config.shutdownGraceMs,
		});
		if (api !== undefined) {
			bus.publish({event: 'api', listen: api.address, url: api.url, tokenRequired: api.tokenRequired});
		}
		return {daemon, bus, api, stop: memoise(stopInOrder(daemon, api, logger))};
	} catch (error) {
		// The API could not listen after the daemon started: stop what did start, or the process never exits.
		await daemon?.close('start failed');
		await logger.close();
		throw error;
	}
}

/**
 * Stop accepting requests first; requests already waiting for a batch keep
 * their connection and get its answer while the daemon stops the watcher,
 * flushes and lets the running batch finish. The log closes last, so the
 * `stop` record and that batch's record are written.
 */
function stopInOrder(daemon: Daemon, api: ApiServer | undefined, logger: {close(): Promise<void>}): (reason: string) => Promise<void> {
	return async reason => {
		const apiClosed = api?.close();
		await daemon.close(reason);
		await apiClosed;
		await logger.close();
	};
}

function memoise(stop: (reason: string) => Promise<void>): (reason: string) => Promise<void> {
	let stopping: Promise<void> | undefined;
	return reason => {
		stopping ??= stop(reason);
		return stopping;
	};
}

/** Resolve on the first SIGINT/SIGTERM; a second one exits at once. */
export function waitForStopSignal(): Promise<string> {
	return new Promise(resolve => {
		let received = false;
		const onSignal = (signal: NodeJS.Signals) => {
			if (received) {
				process.exit(130);
			}
			received = true;
			resolve(`received ${signal}`);
		};
		process.on('SIGINT', onSignal);
		process.on('SIGTERM', onSignal);
	});
}

/**
 * The daemon until SIGINT/SIGTERM. SIGHUP re-reads the config file: a bad new
 * config is refused (its problems logged) and the old one kept; a good one
 * replaces the running daemon, and beams written during the swap are caught up.
 */
export async function runCommand(config: ResolvedConfig, reloadConfig: () => Promise<ResolvedConfig>): Promise<number> {
	let running = await startDaemon(config);
	let reloading: Promise<void> = Promise.resolve();
	const onHangup = () => {
		reloading = reloading.then(async () => {
			running = await reloadDaemon(running, reloadConfig);
		});
	};
	process.on('SIGHUP', onHangup);
	const reason = await waitForStopSignal();
	process.off('SIGHUP', onHangup);
	await reloading;
	await running.stop(reason);
	return 0;
}

async function reloadDaemon(running: RunningDaemon, reloadConfig: () => Promise<ResolvedConfig>): Promise<RunningDaemon> {
	let next: ResolvedConfig;
	try {
		next = await reloadConfig();
	} catch (error) {
		running.bus.publish(problemRecord(error, 'error', 'SIGHUP: the new configuration was refused, the running one is kept'));
		return running;
	}
	const before = running.daemon.index;
	await running.stop('reloading the configuration (SIGHUP)');
	const replacement = await startDaemon(next);
	await catchUp(replacement, before);
	return replacement;
}

/** Beams whose version changed between the old daemon's last look and the new one's first: update them, nothing is lost. */
async function catchUp(running: RunningDaemon, before: BeamIndex): Promise<void> {
	const after = running.daemon.index;
	const changed = after.modules().filter(module => {
		const vsn = after.get(module)?.vsn;
		return vsn !== undefined && before.get(module)?.vsn !== vsn;
	});
	if (changed.length > 0) {
		await running.daemon.update(changed, 'watch').catch(() => {
			// Reported through the bus like any batch failure.
		});
	}
}
