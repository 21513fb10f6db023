import type {WatchSource} from '../../../daemon/daemon.ts';
import type {BeamWatcherOptions} from '../../../daemon/watcher/beam-watcher.ts';
import type {FakeDisk} from './fake-disk.ts';
import type {SimClock} from './sim-clock.ts';

export interface FakeWatcherOptions {
	/** Chance that an event for a write other than an operation's last one is lost (chokidar coalesces them). */
	readonly dropRate: number;
	/** Chance that an event comes twice. */
	readonly duplicateRate: number;
	/** Events arrive up to this late. */
	readonly maxDelayMs: number;
}

/**
 * Stands in for BeamWatcher (Daemon's `createWatcher`): reports the fake
 * disk's writes to the settler, late, sometimes twice, sometimes not at all;
 * but the last write of every operation is always reported, as the real
 * watcher's trailing re-check makes sure.
 */
export function fakeWatcher(disk: FakeDisk, clock: SimClock, random: () => number, options: FakeWatcherOptions): (watcherOptions: BeamWatcherOptions) => WatchSource {
	return ({onBeamWritten}) => {
		let closed = false;
		const deliver = (path: string) => {
			clock.setTimer(() => {
				if (!closed) {
					onBeamWritten(path);
				}
			}, Math.floor(random() * (options.maxDelayMs + 1)));
		};
		disk.onWrite((path, final) => {
			if (!final && random() < options.dropRate) {
				return;
			}
			deliver(path);
			if (random() < options.duplicateRate) {
				deliver(path);
			}
		});
		return {
			ready: async () => undefined,
			async close() {
				closed = true;
			},
		};
	};
}
