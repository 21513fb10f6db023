import {resolve} from 'node:path';
import type {ResolvedConfig} from '../config/schema.ts';
import {openCluster} from '../cluster/open-cluster.ts';
import {Daemon, type DaemonOptions} from '../daemon.ts';
import {ReloaderError} from '../errors.ts';
import {boundedBeamReader} from '../beam/beam-snapshot.ts';
import {scanBeams} from '../modules/scan-beams.ts';
import {WatchDirectoryError, resolveWatchDirectories, type WatchDirectories} from '../modules/watch-directories.ts';
import type {FollowedContrib} from '../daemon-options.ts';
import type {DaemonRecord} from '../records.ts';
import {Reloader} from '../reloader/reloader.ts';
import {planReload} from '../reloader/reload-plan.ts';
import {transportFit} from '../transports/check-capabilities.ts';
import {createTransport, type TransportWarning} from '../transports/create-transport.ts';
import type {Transport} from '../transports/transport.ts';
import {resolveSources} from '../sources/resolve-sources.ts';
import {createModuleCompiler} from './create-compiler.ts';
import {checkNodeHost, nodeHostOf} from './node-host.ts';
import {PipelineCheckError, asProblem} from './pipeline-error.ts';

/** One configuration put to work: its transport, what it watches, and the daemon running the pipeline. */
export interface Pipeline {
	readonly config: ResolvedConfig;
	readonly transport: Transport;
	readonly directories: readonly string[];
	readonly daemon: Daemon;
}

export interface PipelineContext {
	readonly report: (record: DaemonRecord) => void;
	/** Batch ids, shared by every pipeline of a service so they never repeat. */
	readonly nextId: () => number;
	/**
	 * Try the node before the pipeline is used (a reload, while the old one
	 * still runs): a node that refuses us (wrong cookie, say) is a problem, a
	 * node that is down is not: the daemon waits for it, as at start.
	 */
	readonly probe: boolean;
	/** Builds the transport; default createTransport (tests wrap it to observe calls). */
	readonly createTransport?: typeof createTransport;
}

/** How long the probe of a reload may take before the node counts as down (and waited for). */
const PROBE_TIMEOUT_MS = 15_000;

/**
 * Build every part of a pipeline for `config` and check what can be checked
 * before anything runs: the transport and its secret files, that the node's
 * host resolves, the watch directories, and (with `probe`) the node itself.
 * Every problem found is reported at once in one PipelineCheckError; nothing
 * built is left open then. The daemon is returned unstarted.
 */
export async function openPipeline(config: ResolvedConfig, context: PipelineContext): Promise<Pipeline> {
	const warn = (code: string) => (message: string) => context.report({event: 'error', severity: 'warn', code, message});
	const problems: ReloaderError[] = [];
	let transport: Transport | undefined;
	// The configuration's reload plan over its transport, made once: the one node's Reloader or every cluster member's follows it.
	let createReloader: DaemonOptions['createReloader'];
	const onWarning: TransportWarning = (message, code) => warn(code ?? 'WARN_SECRET_FILE')(message);
	try {
		if (config.cluster === undefined) {
			transport = await (context.createTransport ?? createTransport)(config, onWarning);
			// `auto` chose its kind just now: the plan is the configuration's over that one.
			const plan = planReload(transportFit(config, transport.kind), config);
			createReloader = ({transport: node, index, options}) => new Reloader(node, index, {...options, plan});
		} else {
			// A cluster is dist only (resolveConfig and openCluster refuse anything else).
			({transport, createReloader} = await openCluster(config, planReload(transportFit(config, 'dist'), config), context.report, onWarning));
		}
	} catch (error) {
		problems.push(asProblem(error, config.cluster === undefined ? 'transport' : 'cluster'));
	}
	const [watched, sources] = await Promise.all([
		watchDirectories(config, transport, context.report, problems),
		resolveSources(config),
		transport === undefined ? undefined : checkNode(config, transport, context, problems),
	]);
	problems.push(...sources.problems);
	const contrib = transport === undefined || watched === undefined ? undefined : await followedContrib(config, transport, watched, sources.auto, problems, warn('WARN_CONTRIB_UNKNOWN'));
	if (transport === undefined || watched === undefined || problems.length > 0) {
		await transport?.close();
		throw new PipelineCheckError(problems);
	}
	// A source directory's ebin is watched like any install directory: the compiled beams take the same road.
	const compiledInto = sources.directories.map(({ebin}) => ebin).filter(ebin => !watched.directories.some(directory => resolve(directory) === ebin));
	const directories = [...watched.directories, ...new Set(compiledInto)];
	try {
		// Only what exists now is scanned; a directory that appears later is read whole by the watcher.
		const index = await scanBeams([...watched.present, ...new Set(compiledInto)], boundedBeamReader(config.maxBeamBytes));
		const daemon = new Daemon({
			config, transport, directories, index, report: context.report, graceMs: config.shutdownGraceMs, nextId: context.nextId, createReloader,
			...(contrib === undefined ? {} : {contrib}),
			...(sources.directories.length === 0 && !sources.auto ? {} : {sources: {
				directories: sources.directories,
				watchMode: config.compile.watch,
				pollMs: config.compile.pollMs,
				createCompiler: compilerContext => createModuleCompiler(config, transport, compilerContext),
			}}),
		});
		return {config, transport, directories, daemon};
	} catch (error) {
		await transport.close();
		throw error;
	}
}

/**
 * The directories to watch. A listed directory that does not exist yet is a
 * warning (watched as soon as it appears); one that is no directory is a
 * problem of its own, as is a `watch: auto` that cannot be resolved.
 */
async function watchDirectories(config: ResolvedConfig, transport: Transport | undefined, report: PipelineContext['report'], problems: ReloaderError[]): Promise<WatchDirectories | undefined> {
	if (transport === undefined && config.watch === 'auto') {
		return undefined;
	}
	try {
		// A listed directory needs no transport: resolveWatchDirectories only asks it for `auto`.
		return await resolveWatchDirectories(config, transport as Transport, (message, code) => report({event: 'error', severity: 'warn', code, message}));
	} catch (error) {
		if (error instanceof WatchDirectoryError) {
			problems.push(...error.problems);
		} else {
			problems.push(asProblem(error, 'watch: auto'));
		}
		return undefined;
	}
}

/**
 * What to follow in ejabberd's contrib modules directory while the daemon
 * runs: with `watch: auto`, each module's ebin; with `sources: auto`, each
 * module's sources, compiled into it. Where that directory is comes from
 * the node (ext_mod:modules_dir(), through `paths`): `sources: auto` over a
 * transport that cannot ask is a problem; a node that has none is not.
 */
async function followedContrib(config: ResolvedConfig, transport: Transport, watched: WatchDirectories, sourcesAuto: boolean, problems: ReloaderError[], warn: (message: string) => void): Promise<FollowedContrib | undefined> {
	const watchEbins = config.watch === 'auto';
	if (!watchEbins && !sourcesAuto) {
		return undefined;
	}
	let root = watched.contrib;
	if (root === undefined && sourcesAuto && config.watch !== 'auto') {
		if (!transport.capabilities.codeDirectory) {
			problems.push(new ReloaderError('ERR_CONFIG_INVALID', `sources: auto: transport ${transport.kind} cannot ask the node where its contrib modules are (ext_mod:modules_dir())`, {
				hint: 'Use transport: dist, or list the contrib modules\' source directories in `sources` as {dir, ebin}.',
			}));
			return undefined;
		}
		root = await transport.codeLocations().then(locations => locations.contrib, () => undefined);
	}
	if (root === undefined) {
		if (sourcesAuto && transport.capabilities.codeDirectory) {
			warn(`sources: auto: ${transport.node} did not say where its contrib modules are (down, or no module installed yet, so no CONTRIB_MODULES_PATH directory); contrib modules' sources are not compiled until the daemon is restarted or reconfigured`);
		}
		return undefined;
	}
	return {root, watchEbins, compileSources: sourcesAuto};
}

/** The node's host must resolve; with `probe`, the node must not refuse us (being down is fine). */
async function checkNode(config: ResolvedConfig, transport: Transport, context: PipelineContext, problems: ReloaderError[]): Promise<void> {
	const host = nodeHostOf(config, transport.kind, transport.node);
	if (host !== undefined) {
		try {
			await checkNodeHost(host, transport.kind === 'http' ? 'http.url' : 'node');
		} catch (error) {
			problems.push(asProblem(error, 'node'));
			return;
		}
	}
	if (!context.probe) {
		return;
	}
	try {
		await transport.ensureUpdaterLoaded(AbortSignal.timeout(PROBE_TIMEOUT_MS));
	} catch (error) {
		if (error instanceof ReloaderError && error.retryable) {
			context.report({event: 'error', severity: 'warn', code: 'WARN_NODE_DOWN', message: `${transport.node} does not answer now (${error.message}); the new configuration waits for it like the old one would`});
		} else if (isTimeout(error)) {
			context.report({event: 'error', severity: 'warn', code: 'WARN_NODE_DOWN', message: `${transport.node} did not answer within ${PROBE_TIMEOUT_MS} ms; the new configuration waits for it like the old one would`});
		} else {
			problems.push(asProblem(error, `node ${transport.node}`));
		}
	}
}

function isTimeout(error: unknown): boolean {
	return error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
}
