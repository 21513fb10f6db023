import type {Clock} from './batcher/clock.ts';
import type {BeamReader} from './beam/beam-snapshot.ts';
import type {ResolvedConfig} from './config/schema.ts';
import type {BeamIndex} from './modules/beam-index.ts';
import type {DaemonRecord} from './records.ts';
import type {OwedWork} from './ledger/ledger.ts';
import type {BatchReloader} from './reloader/batch-reloader.ts';
import type {ReloaderOptions} from './reloader/reloader.ts';
import type {ScanHazard} from './reloader/settle-directory.ts';
import type {Transport} from './transports/transport.ts';
import type {BeamWatcherOptions} from './watcher/beam-watcher.ts';
import type {BeamLister} from './watcher/directory-sweep.ts';
import type {ModuleCompiler, SourceDirectory} from './sources/source-compiler.ts';
import type {SourceWatch, SourceWatcherOptions, SourceWatchMode} from './sources/source-watcher.ts';

/** What a Daemon is built from; everything optional is injectable for tests and the simulation. */
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
	/** Save to live: the source directories, each with its ebin (a watched one), and the compiler. Absent: no sources are watched. */
	readonly sources?: DaemonSources;
	/** ejabberd's contrib modules directory, followed while the daemon runs (`watch: auto`, `sources: auto`). Absent: not followed. */
	readonly contrib?: FollowedContrib;
}

/** What the daemon does with the contrib modules directory as modules are installed into it. */
export interface FollowedContrib {
	/** CONTRIB_MODULES_PATH as this host sees it. */
	readonly root: string;
	/** Watch each module's ebin (`watch: auto`). */
	readonly watchEbins: boolean;
	/** Compile each module's sources into its ebin (`sources: auto`). */
	readonly compileSources: boolean;
}

/** The compile stage a daemon runs before its watcher: sources saved are compiled into watched ebins. */
export interface DaemonSources {
	readonly directories: readonly SourceDirectory[];
	/** The compiler, given what only the running daemon knows: where ejabberd's code is, and which release the node runs. */
	readonly createCompiler: (context: CompilerContext) => ModuleCompiler;
	readonly watchMode: SourceWatchMode;
	readonly pollMs: number;
	/** What reports source changes. Default: a SourceWatcher (chokidar). */
	readonly createWatcher?: (options: SourceWatcherOptions) => SourceWatch;
}

/** What a compiler asks the daemon at each compile. */
export interface CompilerContext {
	/** The watched directory holding ejabberd.beam. */
	readonly ejabberdEbin: () => string | undefined;
	/** The node's ejabberd release as the last init step read it. */
	readonly ejabberdVersion: () => string | undefined;
	/** Something about the compiler the user should know (logged as a warning). */
	readonly warn: (message: string) => void;
}

/** What the daemon needs of a watcher: report writes once ready, watch one more directory, and stop. */
export interface WatchSource {
	ready(): Promise<void>;
	add(directory: string): Promise<void>;
	close(): Promise<void>;
}

/** What a batch reloader is built from: the daemon's own parts, and the daemon's ledger to owe work to. */
export interface BatchReloaderContext {
	readonly transport: Transport;
	readonly index: BeamIndex;
	readonly options: ReloaderOptions;
	readonly report: (record: DaemonRecord) => void;
	/** Owe work (a member that joined or came back, a lagging disk that caught up): a batch takes it when it is due, and its outcome is reported like any batch's. */
	readonly owe: (work: OwedWork) => void;
	/** Aborted when the daemon closes. */
	readonly signal: AbortSignal;
}
