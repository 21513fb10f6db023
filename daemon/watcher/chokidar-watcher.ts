import {watch, type ChokidarOptions, type FSWatcher} from 'chokidar';

export interface OpenedWatcher {
	readonly watcher: FSWatcher;
	/** Resolves once the initial scan is done: changes from then on are seen. */
	readonly ready: Promise<void>;
}

/**
 * A chokidar watcher whose `error` events go to `onError` from the first
 * moment: an EventEmitter with no `error` listener throws, and chokidar emits
 * errors from inside its own async work, where a throw would crash the daemon.
 */
export function openWatcher(paths: string | readonly string[], options: ChokidarOptions, onError: (error: unknown) => void): OpenedWatcher {
	const watcher = watch(typeof paths === 'string' ? paths : [...paths], options);
	watcher.on('error', onError);
	const ready = new Promise<void>(resolve => {
		watcher.once('ready', () => resolve());
	});
	return {watcher, ready};
}

/**
 * chokidar's close() removes every listener, yet a scan or `fs.watch` still in
 * flight can emit `error` afterwards; with no listener that would throw.
 */
export function closeWatcher(watcher: FSWatcher): Promise<void> {
	const closing = watcher.close();
	watcher.on('error', ignoreLateError);
	return closing;
}

function ignoreLateError(): void {
	// The watcher is closed: nothing it saw any more matters.
}
