import {watch, type FSWatcher} from 'chokidar';
import type {Stats} from 'node:fs';
import {ReloaderError} from '../errors.ts';
import {moduleOfBeamPath} from '../modules/module-name.ts';

export interface BeamWatcherOptions {
	readonly directories: readonly string[];
	/** A beam was written (added or changed); it may still be half-written. */
	readonly onBeamWritten: (path: string) => void;
	readonly onError: (error: ReloaderError) => void;
}

/**
 * chokidar on the install directories, `*.beam` only. Editors' and installers'
 * temp files (`.#x.beam`, `x.beam~`, `x.beam.tmp`, `.x.beam.XXXX`) have no
 * plain module name and are ignored; chokidar's `atomic` mode folds the
 * write-temp-then-rename pattern into one change of the real name.
 */
export class BeamWatcher {
	readonly #watcher: FSWatcher;
	readonly #ready: Promise<void>;
	#closing: Promise<void> | undefined;

	constructor(options: BeamWatcherOptions) {
		this.#watcher = watch([...options.directories], {
			ignoreInitial: true,
			depth: 0,
			atomic: true,
			ignored: (path: string, stats?: Stats) => stats?.isFile() === true && moduleOfBeamPath(path) === undefined,
		});
		this.#watcher.on('add', options.onBeamWritten);
		this.#watcher.on('change', options.onBeamWritten);
		this.#watcher.on('error', (error: unknown) => options.onError(toWatchError(error)));
		this.#ready = new Promise(resolve => {
			this.#watcher.once('ready', () => resolve());
		});
	}

	/** Resolves once the initial scan is done: writes from then on are seen. */
	ready(): Promise<void> {
		return this.#ready;
	}

	close(): Promise<void> {
		this.#closing ??= this.#watcher.close();
		return this.#closing;
	}
}

function toWatchError(error: unknown): ReloaderError {
	const code = (error as NodeJS.ErrnoException).code;
	if (code === 'ENOSPC') {
		return new ReloaderError('ERR_WATCH', 'The system ran out of inotify watches; new beams may go unseen', {
			cause: error,
			hint: 'Run: sudo sysctl fs.inotify.max_user_watches=524288 (add it to /etc/sysctl.conf to keep it).',
		});
	}
	return new ReloaderError('ERR_WATCH', `Watching failed: ${String(error)}`, {cause: error, hint: 'Check the watched directories exist and are readable.'});
}
