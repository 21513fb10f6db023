import type {WatchSource} from '../../../daemon/daemon.ts';
import type {BeamWatcherOptions} from '../../../daemon/watcher/beam-watcher.ts';
import type {FakeDisk} from './fake-disk.ts';
import type {SimClock} from './sim-clock.ts';

export interface FakeWatcherOptions {
	/** Chance that an event for a write other than an operation's last one is lost (chokidar coalesces them). */
	readonly dropRate: number;
	/** Chance that the event for an operation's last write is lost too (inotify's queue overflowed): only the directory sweep can see that write. Default: 0. */
	readonly dropFinalRate?: number;
	/** Chance that an event comes twice (each copy with a delay of its own, so the copies interleave with other events). */
	readonly duplicateRate: number;
	/** Events arrive up to this late, each with its own delay: events of one path or of several arrive out of order. */
	readonly maxDelayMs: number;
	/** Chance that an event arrives very late (up to `lateMs`): after the batch that took its write, or after a later write's event. Default: 0. */
	readonly lateRate?: number;
	readonly lateMs?: number;
}

/** What the watcher did with each write: for the simulation's checks and its trace. */
export interface WatcherTap {
	/** An event is handed to the daemon now. */
	readonly onDeliver?: (path: string) => void;
	/** The event for an operation's last write was dropped. */
	readonly onDropFinal?: (path: string) => void;
}

/**
 * Stands in for BeamWatcher (Daemon's `createWatcher`): reports the fake
 * disk's writes to the settler, late (and so out of order), sometimes twice,
 * sometimes not at all, the last write of an operation included: a write
 * whose every event was lost is the directory sweep's to find.
 */
export function fakeWatcher(disk: FakeDisk, clock: SimClock, random: () => number, options: FakeWatcherOptions, tap: WatcherTap = {}): (watcherOptions: BeamWatcherOptions) => WatchSource {
	return ({onBeamWritten}) => {
		let closed = false;
		const deliver = (path: string) => {
			const late = random() < (options.lateRate ?? 0);
			clock.setTimer(() => {
				if (!closed) {
					tap.onDeliver?.(path);
					onBeamWritten(path);
				}
			}, Math.floor(random() * ((late ? options.lateMs ?? 0 : options.maxDelayMs) + 1)));
		};
		disk.onWrite((path, final) => {
			if (random() < (final ? options.dropFinalRate ?? 0 : options.dropRate)) {
				if (final) {
					tap.onDropFinal?.(path);
				}
				return;
			}
			deliver(path);
			if (random() < options.duplicateRate) {
				deliver(path);
			}
		});
		return {
			ready: async () => undefined,
			// It reports every write of the fake disk already.
			add: async () => undefined,
			async close() {
				closed = true;
			},
		};
	};
}
