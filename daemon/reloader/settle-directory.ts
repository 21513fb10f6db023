import type {Clock, TimerHandle} from '../batcher/clock.ts';

/** What the settle step needs of the settler: which paths of a directory are being written, and word when none is. */
export interface UnsettledSource {
	unsettledIn(directory: string): string[];
	whenSettled(directory: string, signal?: AbortSignal): Promise<void>;
}

export interface DirectorySettle {
	/** True when no beam of the directory was being written any more before the deadline. */
	readonly settled: boolean;
	readonly waitedMs: number;
	/** The beams still being written at the deadline (empty when settled). */
	readonly unsettled: readonly string[];
}

export interface SettleDirectoryOptions {
	readonly deadlineMs: number;
	readonly clock: Clock;
	readonly signal?: AbortSignal | undefined;
}

/**
 * Wait until no beam in `directory` is being written, within a deadline.
 * ejabberd_update's update_info and update/1 read every `*.beam` of the
 * directory, not only the batch's: one caught mid-write by `make install`
 * makes them crash (`{error, beam_lib, {not_a_beam_file, Path}}`). The
 * settler knows which paths of a watched directory are mid-write; a path that
 * is rewritten forever does not hold the batch past the deadline.
 */
export async function settleDirectory(directory: string, source: UnsettledSource, options: SettleDirectoryOptions): Promise<DirectorySettle> {
	const {clock, deadlineMs, signal} = options;
	const start = clock.now();
	if (source.unsettledIn(directory).length === 0) {
		return {settled: true, waitedMs: 0, unsettled: []};
	}
	const stop = new AbortController();
	const onAbort = () => stop.abort();
	signal?.addEventListener('abort', onAbort, {once: true});
	let timer: TimerHandle | undefined;
	try {
		await Promise.race([
			source.whenSettled(directory, stop.signal),
			new Promise<void>(resolve => {
				timer = clock.setTimer(resolve, deadlineMs);
			}),
		]);
	} finally {
		if (timer !== undefined) {
			clock.clearTimer(timer);
		}
		stop.abort();
		signal?.removeEventListener('abort', onAbort);
	}
	const unsettled = source.unsettledIn(directory);
	return {settled: unsettled.length === 0, waitedMs: clock.now() - start, unsettled};
}
