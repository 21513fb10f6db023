import type {FSWatcher} from 'chokidar';
import type {Stats} from 'node:fs';
import {lstat, stat} from 'node:fs/promises';
import * as path from 'node:path';
import type {ReloaderError} from '../errors.ts';
import {moduleOfBeamPath} from '../modules/module-name.ts';
import {closeWatcher, openWatcher} from './chokidar-watcher.ts';
import {beamsChangedSince, directoryIdentity, listBeams} from './directory-listing.ts';
import {TrailingRecheck} from './trailing-recheck.ts';
import {toWatchError} from './watch-error.ts';

export interface DirectoryEvent {
	readonly directory: string;
	/**
	 * `gone`: removed, moved away or replaced, or missing at start; `back`:
	 * there again and watched again, every beam in it already reported written.
	 */
	readonly state: 'gone' | 'back';
}

export interface DirectoryWatchOptions {
	readonly directory: string;
	readonly pollIntervalMs: number;
	readonly onBeamWritten: (path: string) => void;
	readonly onError: (error: ReloaderError) => void;
	readonly onDirectory: (event: DirectoryEvent) => void;
}

/** Writes this long before the first descriptor failure are looked at again too: the failure may have come late. */
const EXHAUSTION_MARGIN_MS = 2000;

function isDescriptorExhaustion(error: unknown): boolean {
	const code = (error as NodeJS.ErrnoException | undefined)?.code;
	return code === 'EMFILE' || code === 'ENFILE';
}

/** Past chokidar's longest hold on an event (100 ms for `atomic`), with room to spare. */
const TRAILING_RECHECK_MS = 200;

/**
 * One watched directory, kept watched across a reinstall
 * (`rm -rf ebin; mkdir ebin; cp *.beam ebin/`). chokidar stops watching a
 * directory that is removed, and one removed and recreated at once may never
 * be reported, its watch left on the dead inode. So besides chokidar's
 * `unlinkDir`, the directory's identity is checked every `pollIntervalMs`
 * (one stat). A directory that is gone is looked for at the same pace; when it
 * is back it gets a fresh chokidar watcher and every beam in it is reported
 * written, since beams may have been written while nothing watched.
 */
export class DirectoryWatch {
	readonly #options: DirectoryWatchOptions;
	readonly #resolved: string;
	readonly #timer: NodeJS.Timeout;
	readonly #ready: Promise<void>;
	readonly #trailing: TrailingRecheck;
	#watcher: FSWatcher | undefined;
	/** What is being watched; undefined while the directory is gone. */
	#identity: string | undefined;
	/** chokidar reported the directory itself removed, and so stopped watching it, whatever its identity is now. */
	#watcherLost = false;
	/** Checks and transitions run one at a time, in order. */
	#transitions: Promise<void>;
	#verifyQueued = false;
	/**
	 * Since when (less a margin) chokidar may have missed events because the
	 * process was out of descriptors: it needs some to read a directory that
	 * changed. Undefined while nothing was missed.
	 */
	#exhaustedSince: number | undefined;
	#closed = false;
	#closing: Promise<void> | undefined;

	constructor(options: DirectoryWatchOptions) {
		this.#options = options;
		this.#resolved = path.resolve(options.directory);
		this.#trailing = new TrailingRecheck(TRAILING_RECHECK_MS, options.onBeamWritten);
		this.#timer = setInterval(() => this.#verify(), options.pollIntervalMs);
		this.#transitions = this.#start().catch((error: unknown) => this.#fail(error));
		this.#ready = this.#transitions;
	}

	/** Resolves once the directory is watched (or known to be gone): writes from then on are seen. */
	ready(): Promise<void> {
		return this.#ready;
	}

	close(): Promise<void> {
		this.#closing ??= this.#close();
		return this.#closing;
	}

	async #close(): Promise<void> {
		this.#closed = true;
		clearInterval(this.#timer);
		this.#trailing.close();
		// A transition in flight ends at its next step; it never waits on anything but the file system.
		await this.#transitions;
		await this.#unwatch();
	}

	async #start(): Promise<void> {
		const identity = await directoryIdentity(this.#options.directory);
		if (identity === undefined) {
			this.#gone();
			return;
		}
		await this.#watch(identity);
	}

	/** Check the directory is still the one watched; queued behind any transition, never twice. */
	#verify(): void {
		if (this.#closed || this.#verifyQueued) {
			return;
		}
		this.#verifyQueued = true;
		this.#transitions = this.#transitions.then(async () => {
			this.#verifyQueued = false;
			await this.#reconcile();
		}).catch((error: unknown) => this.#fail(error));
	}

	/** Reported, and the next check tries again: a watch that failed once must not end the daemon. */
	#fail(error: unknown): void {
		this.#options.onError(toWatchError(error, this.#options.directory));
	}

	async #reconcile(): Promise<void> {
		await this.#catchUpMissed();
		const identity = await directoryIdentity(this.#options.directory);
		// Moved away and back between two checks, it is the same directory, but chokidar has let go of it.
		if (this.#closed || (identity === this.#identity && !this.#watcherLost)) {
			return;
		}
		if (this.#identity !== undefined) {
			await this.#unwatch();
			this.#gone();
		}
		if (identity !== undefined && !this.#closed) {
			await this.#watch(identity);
			for (const beam of await listBeams(this.#options.directory)) {
				this.#options.onBeamWritten(beam);
			}
			this.#options.onDirectory({directory: this.#options.directory, state: 'back'});
		}
	}

	/**
	 * After running out of descriptors, every beam written since is reported
	 * once the directory can be read again: what chokidar could not see then is
	 * not lost. Until it can, the next check tries again.
	 */
	async #catchUpMissed(): Promise<void> {
		const since = this.#exhaustedSince;
		if (since === undefined || this.#closed) {
			return;
		}
		let missed: string[];
		try {
			missed = await beamsChangedSince(this.#options.directory, since);
		} catch (error) {
			if (isDescriptorExhaustion(error)) {
				return;
			}
			missed = [];
		}
		this.#exhaustedSince = undefined;
		for (const beam of missed) {
			this.#options.onBeamWritten(beam);
		}
	}

	async #watch(identity: string): Promise<void> {
		const {directory, onBeamWritten, onError} = this.#options;
		const {watcher, ready} = openWatcher(directory, {
			ignoreInitial: true,
			depth: 0,
			// Folds `install`'s unlink-then-write into one change of the real name.
			atomic: true,
			ignored: (entry: string, stats?: Stats) => stats?.isFile() === true && moduleOfBeamPath(entry) === undefined,
		}, error => {
			onError(toWatchError(error, directory));
			if (isDescriptorExhaustion(error)) {
				this.#exhaustedSince ??= Date.now() - EXHAUSTION_MARGIN_MS;
			}
			// A failing watch may mean the directory went away: look now, not at the next tick.
			this.#verify();
		});
		// chokidar may ask `ignored` without stats and let a temp name through; only plain beam names go on.
		const written = (entry: string) => {
			if (moduleOfBeamPath(entry) !== undefined) {
				onBeamWritten(entry);
				this.#trailing.note(entry);
			}
		};
		watcher.on('add', written);
		watcher.on('change', written);
		// chokidar drops a symlink it cannot stat: a dangling link named `*.beam` reaches the beam check from the raw event.
		watcher.on('raw', (_event: string, filename: unknown) => {
			if (typeof filename === 'string' && filename.endsWith('.beam')) {
				const entry = path.join(directory, path.basename(filename));
				void isDanglingLink(entry).then(dangling => {
					if (dangling && !this.#closed) {
						written(entry);
					}
				});
			}
		});
		// A directory named `*.beam` is no beam, and ejabberd_update's scan still makes an atom of its name: the beam check reports it.
		watcher.on('addDir', entry => {
			if (path.dirname(path.resolve(entry)) === this.#resolved) {
				written(entry);
			}
		});
		watcher.on('unlinkDir', entry => {
			if (path.resolve(entry) === this.#resolved) {
				this.#watcherLost = true;
				this.#verify();
			}
		});
		this.#watcher = watcher;
		this.#identity = identity;
		// chokidar's fs.watch keeps the process alive now; the identity check need not.
		this.#timer.unref();
		await ready;
	}

	async #unwatch(): Promise<void> {
		const watcher = this.#watcher;
		this.#watcher = undefined;
		this.#identity = undefined;
		this.#watcherLost = false;
		if (watcher !== undefined) {
			await closeWatcher(watcher);
		}
	}

	#gone(): void {
		// Nothing else may keep the daemon alive while it waits for the directory to come back.
		this.#timer.ref();
		this.#options.onDirectory({directory: this.#options.directory, state: 'gone'});
	}
}

/** A symbolic link whose target does not exist (or loops). */
async function isDanglingLink(entry: string): Promise<boolean> {
	try {
		if (!(await lstat(entry)).isSymbolicLink()) {
			return false;
		}
	} catch {
		return false;
	}
	try {
		await stat(entry);
		return false;
	} catch {
		return true;
	}
}
