import * as path from 'node:path';
import {ReloaderError, describeValue} from '../errors.ts';
import {DirectoryWatch, type DirectoryEvent} from './directory-watch.ts';
import {SiblingWatch, type SiblingVersionEvent} from './sibling-watch.ts';
import {parseVersionedDirectory, type VersionedDirectory} from './versioned-directory.ts';

export type {DirectoryEvent} from './directory-watch.ts';
export type {SiblingVersionEvent} from './sibling-watch.ts';

export interface BeamWatcherOptions {
	readonly directories: readonly string[];
	/** A beam was written (added or changed); it may still be half-written. */
	readonly onBeamWritten: (path: string) => void;
	readonly onError: (error: ReloaderError) => void;
	/**
	 * A watched directory went away (removed, moved, replaced, or missing at
	 * start), or came back and is watched again. Before `back` is reported,
	 * every beam in it has gone to `onBeamWritten`. Default: ignored.
	 */
	readonly onDirectory?: (event: DirectoryEvent) => void;
	/**
	 * Another version appeared beside a watched `.../<app>-<version>/ebin`
	 * (a package upgrade): the node will run its beams, not the watched ones.
	 * Default: ignored.
	 */
	readonly onSiblingVersion?: (event: SiblingVersionEvent) => void;
	/** How often each directory is checked to still be the one watched, and a gone one looked for. Default: 500 ms. */
	readonly pollIntervalMs?: number;
}

type ResolvedBeamWatcherOptions = Readonly<Required<BeamWatcherOptions>>;

const DEFAULT_POLL_INTERVAL_MS = 500;

/**
 * chokidar on the install directories, `*.beam` only. Editors' and installers'
 * temp files (`.#x.beam`, `x.beam~`, `x.beam.tmp`, `.x.beam.XXXX`) have no
 * plain module name and are ignored; renaming one onto `x.beam` is one change
 * of `x.beam`. Each directory is watched on its own, so one that is removed
 * and reinstalled is watched again (see DirectoryWatch); versioned installs
 * are watched for a new version beside them (see SiblingWatch).
 */
export class BeamWatcher {
	readonly #options: ResolvedBeamWatcherOptions;
	readonly #directories: DirectoryWatch[];
	readonly #siblings: readonly SiblingWatch[];
	readonly #ready: Promise<void>;
	#closing: Promise<void> | undefined;

	constructor(options: BeamWatcherOptions) {
		const resolved = resolveBeamWatcherOptions(options);
		this.#options = resolved;
		const {directories, onSiblingVersion, onError} = resolved;
		this.#directories = directories.map(directory => this.#watchOne(directory));
		this.#siblings = [...groupByRoot(directories)].map(([root, watched]) => new SiblingWatch({root, watched, onSiblingVersion, onError}));
		this.#ready = Promise.all([...this.#directories, ...this.#siblings].map(async watch => watch.ready())).then(() => undefined);
	}

	/** Resolves once the initial scans are done: writes from then on are seen. */
	ready(): Promise<void> {
		return this.#ready;
	}

	/** Watch one more directory (a contrib module installed while the daemon runs); resolves once its writes are seen. */
	async add(directory: string): Promise<void> {
		if (this.#closing !== undefined) {
			return;
		}
		const watch = this.#watchOne(directory);
		this.#directories.push(watch);
		await watch.ready();
	}

	close(): Promise<void> {
		this.#closing ??= Promise.all([...this.#directories, ...this.#siblings].map(async watch => watch.close())).then(() => undefined);
		return this.#closing;
	}

	#watchOne(directory: string): DirectoryWatch {
		const {pollIntervalMs, onBeamWritten, onError, onDirectory} = this.#options;
		return new DirectoryWatch({directory, pollIntervalMs, onBeamWritten, onError, onDirectory});
	}
}

function resolveBeamWatcherOptions(options: BeamWatcherOptions): ResolvedBeamWatcherOptions {
	const pollIntervalMs = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
	if (!Number.isSafeInteger(pollIntervalMs) || pollIntervalMs <= 0) {
		throw new ReloaderError('ERR_CONFIG_INVALID', `Expected the \`pollIntervalMs\` option of the beam watcher to be a positive integer, got ${describeValue(pollIntervalMs)}`, {
			hint: 'Give a number of milliseconds, such as 500.',
		});
	}
	return Object.freeze({
		directories: options.directories,
		onBeamWritten: options.onBeamWritten,
		onError: options.onError,
		onDirectory: options.onDirectory ?? ignore,
		onSiblingVersion: options.onSiblingVersion ?? ignore,
		pollIntervalMs,
	});
}

/** The versioned directories by the root they live in: one watcher per root, however many apps share it. */
function groupByRoot(directories: readonly string[]): Map<string, VersionedDirectory[]> {
	const byRoot = new Map<string, VersionedDirectory[]>();
	for (const directory of directories) {
		const versioned = parseVersionedDirectory(directory);
		if (versioned !== undefined) {
			const root = path.resolve(versioned.root);
			byRoot.set(root, [...byRoot.get(root) ?? [], versioned]);
		}
	}
	return byRoot;
}

function ignore(): void {
	// The caller did not ask to hear about it.
}
