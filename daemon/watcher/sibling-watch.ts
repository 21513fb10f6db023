import type {FSWatcher} from 'chokidar';
import type {Stats} from 'node:fs';
import * as path from 'node:path';
import type {ReloaderError} from '../errors.ts';
import {closeWatcher, openWatcher} from './chokidar-watcher.ts';
import {parseAppVersion, siblingVersionOf, type VersionedDirectory} from './versioned-directory.ts';
import {toWatchError} from './watch-error.ts';

export interface SiblingVersionEvent {
	/** The watched directory, e.g. `/usr/lib/x86_64-linux-gnu/ejabberd-23.01/ebin`. */
	readonly directory: string;
	/** The same directory in the version that appeared beside it, e.g. `.../ejabberd-24.02/ebin`. */
	readonly sibling: string;
}

export interface SiblingWatchOptions {
	/** The directory holding the `<app>-<version>` directories. */
	readonly root: string;
	/** The watched directories that live in `root`. */
	readonly watched: readonly VersionedDirectory[];
	readonly onSiblingVersion: (event: SiblingVersionEvent) => void;
	readonly onError: (error: ReloaderError) => void;
}

/**
 * Watches the directory that holds versioned installs (Debian's
 * `/usr/lib/x86_64-linux-gnu`, `/usr/local/lib`) for a new `<app>-<version>`
 * beside a watched one: after an upgrade the node runs the new version's
 * beams, and the daemon, still watching the old ones, would reload nothing.
 * Everything in `root` but such directories is ignored, so this costs one
 * inotify watch however many files `root` holds.
 */
export class SiblingWatch {
	readonly #options: SiblingWatchOptions;
	readonly #watcher: FSWatcher;
	readonly #ready: Promise<void>;
	/** Each sibling is reported once per watched directory, however often it is reinstalled. */
	readonly #reported = new Set<string>();
	#closing: Promise<void> | undefined;

	constructor(options: SiblingWatchOptions) {
		this.#options = options;
		const apps = new Set(options.watched.map(watched => watched.app));
		const root = path.resolve(options.root);
		const {watcher, ready} = openWatcher(options.root, {
			ignoreInitial: true,
			depth: 0,
			ignored: (entry: string, stats?: Stats) => path.resolve(entry) !== root
				&& (stats?.isDirectory() === false || !apps.has(parseAppVersion(path.basename(entry))?.app ?? '')),
		}, error => options.onError(toWatchError(error, options.root)));
		watcher.on('addDir', entry => this.#appeared(path.basename(entry)));
		this.#watcher = watcher;
		this.#ready = ready;
	}

	ready(): Promise<void> {
		return this.#ready;
	}

	close(): Promise<void> {
		this.#closing ??= closeWatcher(this.#watcher);
		return this.#closing;
	}

	#appeared(name: string): void {
		for (const watched of this.#options.watched) {
			const sibling = siblingVersionOf(watched, name);
			const key = `${watched.directory}\0${sibling}`;
			if (sibling !== undefined && !this.#reported.has(key)) {
				this.#reported.add(key);
				this.#options.onSiblingVersion({directory: watched.directory, sibling});
			}
		}
	}
}
