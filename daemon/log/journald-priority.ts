import {fstatSync} from 'node:fs';
import type {LogLevel} from './format-record.ts';

/**
 * The sd-daemon(3) prefix journald reads at the start of a stderr line and
 * turns into the entry's PRIORITY, so `journalctl -p err` finds errors.
 */
export function journaldPrefix(level: LogLevel): string {
	switch (level) {
		case 'error': {
			return '<3>';
		}
		case 'warn': {
			return '<4>';
		}
		case 'info': {
			return '<6>';
		}
		case 'debug': {
			return '<7>';
		}
	}
}

export interface FileIdentity {
	readonly dev: bigint;
	readonly ino: bigint;
}

/**
 * Whether stderr is the journal stream systemd connected. `JOURNAL_STREAM`
 * alone is not enough: children inherit it even when their stderr is a pipe
 * (a test harness, `2>file`), and a prefix there would corrupt the lines. So,
 * as systemd.exec(5) advises, its `device:inode` must be stderr's own.
 */
export function isJournalStream(journalStream: string | undefined, stderr: FileIdentity | undefined): boolean {
	const match = /^(\d+):(\d+)$/.exec(journalStream ?? '');
	if (match === null || stderr === undefined) {
		return false;
	}
	return BigInt(match[1] ?? '') === stderr.dev && BigInt(match[2] ?? '') === stderr.ino;
}

/** `isJournalStream` for this process's environment and file descriptor 2. */
export function stderrIsJournal(env: Readonly<Record<string, string | undefined>> = process.env): boolean {
	if (env.JOURNAL_STREAM === undefined) {
		return false;
	}
	let stderr: FileIdentity | undefined;
	try {
		stderr = fstatSync(2, {bigint: true});
	} catch {
		// A closed stderr is no journal.
		stderr = undefined;
	}
	return isJournalStream(env.JOURNAL_STREAM, stderr);
}
