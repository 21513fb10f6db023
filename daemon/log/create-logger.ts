import type {Writable} from 'node:stream';
import winston from 'winston';
import {errorMessage} from '../errors.ts';
import type {DaemonRecord} from '../records.ts';
import {levelOf, detailLines, summarize, type LogLevel} from './format-record.ts';
import {stderrIsJournal} from './journald-priority.ts';
import {jsonLineFormat, prettyLineFormat, withJournaldPriority} from './line-formats.ts';
import {openLogFile} from './log-file.ts';

export interface LoggerOptions {
	readonly level: LogLevel;
	readonly format: 'pretty' | 'json';
	/** Colour the pretty format; by default only when stderr is a terminal and not the journal. */
	readonly colors?: boolean;
	/** Also write JSON lines (as `format: json`) to this file, rotated by size; unset: stderr only. */
	readonly file?: string | undefined;
	/** Rotate the file before it grows past this size. Default 10 MiB. */
	readonly maxSizeBytes?: number;
	/** Rotated files kept beside the current one. Default 5. */
	readonly maxFiles?: number;
	/**
	 * Start each stderr line with its sd-daemon priority (`<3>` error ... `<7>`
	 * debug). Default: when `JOURNAL_STREAM` says stderr is systemd's journal.
	 */
	readonly journal?: boolean;
	/** Where the lines go instead of stderr; for tests. */
	readonly stderr?: Writable;
}

export interface RecordLogger {
	log(record: DaemonRecord): void;
	/** Resolves once every line is written. Idempotent. */
	close(): Promise<void>;
}

const severity: Readonly<Record<LogLevel, number>> = {error: 0, warn: 1, info: 2, debug: 3};

/**
 * One line per record on stderr (stdout is kept for the CLI's answers, e.g.
 * `once` prints JSON there), and, with `file`, one JSON line per record in the
 * log file. `json`: the record's fields plus `time`, `level` and a human
 * `message`; `pretty`: time, level and the message, and after a cluster
 * batch's line one line per member (its outcome, at warn level when it is
 * not ok there).
 */
export function createRecordLogger(options: LoggerOptions): RecordLogger {
	const stderr = options.stderr ?? process.stderr;
	const journal = options.journal ?? (options.stderr === undefined && stderrIsJournal());
	// journald would store colour codes verbatim.
	const colors = !journal && (options.colors ?? (options.stderr === undefined && process.stderr.isTTY === true));
	const lineFormat = options.format === 'json' ? jsonLineFormat() : prettyLineFormat(colors);
	const logger = winston.createLogger({
		level: options.level,
		format: journal ? withJournaldPriority(lineFormat) : lineFormat,
		transports: [new winston.transports.Stream({stream: stderr, eol: '\n'})],
	});
	const file = options.file === undefined
		? undefined
		: openLogFile({
			file: options.file,
			maxSizeBytes: options.maxSizeBytes ?? 10 * 1024 * 1024,
			maxFiles: options.maxFiles ?? 5,
			onError(error) {
				stderr.write(`ejabberd-reloader: writing the log file ${options.file} failed: ${errorMessage(error)}; the daemon goes on, and lines that cannot be written are dropped. Check the disk and the file's permissions.\n`);
			},
		});
	let closing: Promise<void> | undefined;
	return {
		log(record) {
			const {event, ...fields} = record;
			const level = levelOf(record);
			const entry = {level, message: summarize(record), event, ...fields};
			if (file !== undefined && severity[level] <= severity[options.level]) {
				file.write(entry);
			}
			logger.log(entry);
			if (options.format === 'pretty') {
				// A cluster batch's members, a compile round's diagnostics: each on a line of its own, as `tail` shows them; JSON keeps one record per event.
				for (const line of detailLines(record)) {
					logger.log({level: line.level, message: line.text});
				}
			}
		},
		close() {
			if (closing === undefined) {
				closing = new Promise(resolve => {
					logger.once('finish', () => resolve());
				});
				logger.end();
				file?.close();
			}
			return closing;
		},
	};
}
