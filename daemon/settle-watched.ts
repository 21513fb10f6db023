import {resolve} from 'node:path';
import {quoteUntrusted} from './errors.ts';
import type {DaemonRecord} from './records.ts';
import {settleDirectory, type SettleDirectoryOptions, type UnsettledSource} from './reloader/settle-directory.ts';

/**
 * The settle step as a batch runs it, before update_info and update: wait
 * until no beam of update_info's directory is mid-write, within the deadline;
 * past it, warn and go on. Only a watched directory's writes are known: in
 * another one nothing is waited on.
 */
export function settleWatched(directories: readonly string[], source: UnsettledSource, options: Omit<SettleDirectoryOptions, 'signal'> & {readonly report: (record: DaemonRecord) => void}): (directory: string, signal?: AbortSignal) => Promise<void> {
	return async (directory, signal) => {
		// Read at each batch: a directory added while the daemon runs counts from then on.
		if (!directories.some(watched => resolve(watched) === resolve(directory))) {
			return;
		}
		const outcome = await settleDirectory(directory, source, {...options, signal});
		if (!outcome.settled) {
			options.report({
				event: 'error',
				severity: 'warn',
				code: 'WARN_DIRECTORY_UNSETTLED',
				message: `${outcome.unsettled.length} beam(s) of ${quoteUntrusted(directory, 300)} were still being written after ${options.deadlineMs} ms (${outcome.unsettled.slice(0, 5).map(path => quoteUntrusted(path, 300)).join(', ')}); ejabberd_update reads every beam there, going on: a batch that fails on one is handed back`,
			});
		}
	};
}
