import type {Stats} from 'node:fs';
import * as path from 'node:path';
import type {FSWatcher} from 'chokidar';
import type {ReloaderError} from '../errors.ts';
import {isModuleName} from '../modules/module-name.ts';
import {closeWatcher, openWatcher} from './chokidar-watcher.ts';
import {toWatchError} from './watch-error.ts';

export interface ContribFollowerOptions {
	/** ejabberd's contrib modules directory (CONTRIB_MODULES_PATH, `ext_mod:modules_dir()`) as this host sees it. */
	readonly root: string;
	/** A module's ebin is there (at start, or created by `module_install`). */
	readonly onEbin: (module: string, ebin: string) => void;
	/** A module's sources (`sources/<repo>/<module>/src`) and its ebin are both there. */
	readonly onSources: (module: string, src: string, ebin: string) => void;
	readonly onError: (error: ReloaderError) => void;
}

/** `<root>/<module>/ebin` is one level below a module's folder; `<root>/sources/<repo>/<module>/src` three. */
const DEPTH = 3;

/**
 * Follows ejabberd's contrib modules directory while the daemon runs: the
 * layout ext_mod gives it is `<root>/<module>/ebin` for an installed module
 * and `<root>/sources/<repo>/<module>/src` for its sources. Each module's
 * ebin is reported once it exists, and its sources once both exist, those
 * there at start included: `watch: auto` and `sources: auto` are worked out
 * for the modules installed later too. Only folders are looked at.
 */
export class ContribFollower {
	readonly #options: ContribFollowerOptions;
	readonly #ebins = new Map<string, string>();
	readonly #sources = new Map<string, string>();
	readonly #paired = new Set<string>();
	readonly #watcher: FSWatcher;
	readonly #ready: Promise<void>;
	#closing: Promise<void> | undefined;

	constructor(options: ContribFollowerOptions) {
		this.#options = options;
		const {watcher, ready} = openWatcher(options.root, {
			depth: DEPTH,
			ignored: (entry: string, stats?: Stats) => stats?.isFile() === true || (entry !== options.root && path.basename(entry).startsWith('.')),
		}, error => options.onError(toWatchError(error, options.root)));
		this.#watcher = watcher;
		watcher.on('addDir', directory => this.#found(directory));
		this.#ready = ready;
	}

	/** Resolves once what is there at start has been reported. */
	ready(): Promise<void> {
		return this.#ready;
	}

	close(): Promise<void> {
		this.#closing ??= closeWatcher(this.#watcher);
		return this.#closing;
	}

	#found(directory: string): void {
		const parts = path.relative(this.#options.root, directory).split(path.sep);
		const [first, second, third, fourth] = parts;
		if (parts.length === 2 && second === 'ebin' && first !== undefined && first !== 'sources' && isModuleName(first)) {
			if (!this.#ebins.has(first)) {
				this.#ebins.set(first, directory);
				this.#options.onEbin(first, directory);
				this.#pair(first);
			}
		} else if (parts.length === 4 && first === 'sources' && fourth === 'src' && third !== undefined && isModuleName(third) && second !== undefined) {
			if (!this.#sources.has(third)) {
				this.#sources.set(third, directory);
				this.#pair(third);
			}
		}
	}

	#pair(module: string): void {
		const ebin = this.#ebins.get(module);
		const src = this.#sources.get(module);
		if (ebin !== undefined && src !== undefined && !this.#paired.has(module)) {
			this.#paired.add(module);
			this.#options.onSources(module, src, ebin);
		}
	}
}
