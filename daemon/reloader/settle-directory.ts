import {lstat, readdir, stat} from 'node:fs/promises';
import {join} from 'node:path';
import type {Clock, TimerHandle} from '../batcher/clock.ts';
import {formatSize, kindOf} from '../files/file-facts.ts';

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

/** An entry of update_info's directory that ejabberd_update's own scan cannot survive. */
export interface ScanHazard {
	readonly path: string;
	/** What it is and what the scan would do: `a FIFO: the node's read would block forever`. */
	readonly what: string;
}

/**
 * Entries named `*.beam` in `directory` that would hang or exhaust the node
 * when ejabberd_update scans it: update_info calls `beam_lib:version/1` on
 * every one, which reads the whole file. Verified on OTP 25: a FIFO blocks it
 * forever, a symlink to /dev/zero grew the node by 3.8 GB in 5 s. A file
 * larger than `maxBytes` is read whole by the node too. Directories and
 * dangling links fail at once there, harmlessly. Costs one lstat per entry.
 */
export async function findScanHazards(directory: string, maxBytes: number): Promise<ScanHazard[]> {
	let names: string[];
	try {
		names = (await readdir(directory)).filter(name => name.endsWith('.beam')).sort();
	} catch {
		return [];
	}
	const hazards = await Promise.all(names.map(async (name): Promise<ScanHazard | undefined> => {
		const path = join(directory, name);
		try {
			const link = await lstat(path);
			const target = link.isSymbolicLink() ? await stat(path) : link;
			const via = link.isSymbolicLink() ? 'a symbolic link to ' : '';
			if (target.isFIFO() || target.isSocket()) {
				return {path, what: `${via}a ${kindOf(target)}: the node's read would block forever`};
			}
			if (target.isCharacterDevice() || target.isBlockDevice()) {
				return {path, what: `${via}a ${kindOf(target)}: the node would read it without end`};
			}
			if (target.isFile() && target.size > maxBytes) {
				return {path, what: `${via}a file of ${formatSize(target.size)}: the node would read all of it`};
			}
		} catch {
			// Gone, dangling or unreadable: the node's read fails at once too.
		}
		return undefined;
	}));
	return hazards.filter(hazard => hazard !== undefined);
}
