import type {Stats} from 'node:fs';
import {statfs} from 'node:fs/promises';
import * as path from 'node:path';
import type {FSWatcher} from 'chokidar';
import type {ReloaderError} from '../errors.ts';
import {closeWatcher, openWatcher} from '../watcher/chokidar-watcher.ts';
import {TrailingRecheck} from '../watcher/trailing-recheck.ts';
import {toWatchError} from '../watcher/watch-error.ts';
import {sourceFileOf} from './source-files.ts';
import {SOURCE_DEPTH, isSkippedFolder} from './source-tree.ts';

/** How sources are watched: inotify events, polling, or polling only where events cannot be trusted. */
export type SourceWatchMode = 'auto' | 'events' | 'poll';

export interface SourceWatcherOptions {
	readonly directories: readonly string[];
	readonly mode: SourceWatchMode;
	/** How often a polled directory is looked at. */
	readonly pollMs: number;
	/**
	 * A source was written, renamed into place or removed; read it to know
	 * which. `recheck`: the watcher's own second look a moment after a
	 * reported change, no new event.
	 */
	readonly onSourceChanged: (path: string, recheck: boolean) => void;
	readonly onError: (error: ReloaderError) => void;
	/** A directory is polled, and why (said in the log: polling costs what events do not). */
	readonly onPolling: (directory: string, reason: string) => void;
}

/** What the compile stage needs of a source watcher. */
export interface SourceWatch {
	ready(): Promise<void>;
	/** Watch one more directory; resolves once its saves are seen. */
	add(directory: string): Promise<void>;
	close(): Promise<void>;
}

/** Past chokidar's longest hold on an event (100 ms for `atomic`), as for beams. */
const TRAILING_RECHECK_MS = 200;

/**
 * File systems whose changes made elsewhere (another machine, the host side
 * of a container's mount, a FUSE daemon) bring no inotify event here:
 * statfs(2) magic numbers of NFS, SMB/CIFS (three), FUSE (sshfs, bindfs,
 * virtiofs, Docker Desktop's mounts), 9p (WSL, some VMs), Coda, AFS, Ceph.
 */
const REMOTE_FILE_SYSTEMS = new Map<number, string>([
	[0x69_69, 'nfs'],
	[0x51_7B, 'smb'],
	[0xFF_53_4D_42, 'cifs'],
	[0xFE_53_4D_42, 'smb2'],
	[0x65_73_55_46, 'fuse'],
	[0x01_02_19_97, '9p'],
	[0x73_75_72_45, 'coda'],
	[0x53_46_41_4F, 'afs'],
	[0x00_C3_64_00, 'ceph'],
]);

/**
 * chokidar over the source directories, `.erl` and `.hrl` only: editors'
 * temporary, backup, swap and lock files (source-files.ts) are never
 * reported, and renaming one onto `x.erl` is one change of `x.erl`. Every
 * reported change is reported once more a little later (TrailingRecheck):
 * chokidar drops a `change` within 50 ms of the last one, and the compile
 * stage reads the file anyway, so a repeat costs one read.
 *
 * Polling: with `mode: auto` a directory on a file system that reports no
 * changes made elsewhere (NFS, a FUSE mount, 9p) is polled every `pollMs`,
 * and the log says so; `poll` polls everything, `events` nothing.
 */
export class SourceWatcher implements SourceWatch {
	readonly #options: SourceWatcherOptions;
	readonly #trailing: TrailingRecheck;
	readonly #ready: Promise<void>;
	readonly #watchers: FSWatcher[] = [];
	#closing: Promise<void> | undefined;

	constructor(options: SourceWatcherOptions) {
		this.#options = options;
		this.#trailing = new TrailingRecheck(TRAILING_RECHECK_MS, path => options.onSourceChanged(path, true));
		this.#ready = Promise.all(options.directories.map(async directory => this.#watch(directory))).then(() => undefined);
	}

	ready(): Promise<void> {
		return this.#ready;
	}

	async add(directory: string): Promise<void> {
		if (this.#closing === undefined) {
			await this.#watch(directory);
		}
	}

	close(): Promise<void> {
		this.#closing ??= this.#ready.catch(() => undefined).then(async () => {
			this.#trailing.close();
			await Promise.all(this.#watchers.map(async watcher => closeWatcher(watcher)));
		});
		return this.#closing;
	}

	async #watch(directory: string): Promise<void> {
		const {onSourceChanged, onError, onPolling, pollMs} = this.#options;
		const usePolling = await this.#shouldPoll(directory);
		if (usePolling !== undefined) {
			onPolling(directory, usePolling);
		}
		if (this.#closing !== undefined) {
			return;
		}
		const {watcher, ready} = openWatcher(directory, {
			ignoreInitial: true,
			depth: SOURCE_DEPTH,
			atomic: true,
			usePolling: usePolling !== undefined,
			interval: pollMs,
			binaryInterval: pollMs,
			ignored: (entry: string, stats?: Stats) => isIgnored(directory, entry, stats),
		}, error => onError(toWatchError(error, directory)));
		this.#watchers.push(watcher);
		// chokidar may ask `ignored` without stats and let a temp name through; only real source names go on.
		const changed = (entry: string) => {
			if (sourceFileOf(entry) !== undefined) {
				onSourceChanged(entry, false);
				this.#trailing.note(entry);
			}
		};
		watcher.on('add', changed);
		watcher.on('change', changed);
		watcher.on('unlink', changed);
		await ready;
	}

	/** Why this directory is polled; undefined: events are trusted. */
	async #shouldPoll(directory: string): Promise<string | undefined> {
		const {mode, pollMs} = this.#options;
		if (mode === 'events') {
			return undefined;
		}
		if (mode === 'poll') {
			return `compile.watch is poll: looked at every ${pollMs} ms`;
		}
		const type = await statfs(directory).then(stats => stats.type, () => undefined);
		const name = type === undefined ? undefined : REMOTE_FILE_SYSTEMS.get(type);
		return name === undefined ? undefined : `it is on ${name}, which sends no events for changes made elsewhere (another machine, the other side of a mount): looked at every ${pollMs} ms (compile.pollMs; compile.watch: events turns this off)`;
	}
}

/** Skipped: editors' temporary files, and folders that hold no sources of the module (dot folders, build output, dependencies). */
function isIgnored(root: string, entry: string, stats: Stats | undefined): boolean {
	if (entry === root) {
		return false;
	}
	if (stats?.isDirectory() === true) {
		return isSkippedFolder(path.basename(entry));
	}
	return stats?.isFile() === true && sourceFileOf(entry) === undefined;
}
