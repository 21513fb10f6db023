import {accessSync, constants, mkdirSync} from 'node:fs';
import {dirname, resolve} from 'node:path';
import {ReloaderError, errorMessage} from '../errors.ts';
import {formatJsonLine} from './line-formats.ts';
import {RotatingFile} from './rotating-file.ts';

export interface LogFileOptions {
	readonly file: string;
	readonly maxSizeBytes: number;
	/** Rotated files kept beside the current one. */
	readonly maxFiles: number;
	/** Told once when writing fails later (disk full, directory removed). */
	readonly onError: (error: unknown) => void;
}

export interface LogFile {
	/** A log entry: level, message and the record's fields; written as one JSON line. */
	write(entry: Readonly<Record<string, unknown>>): void;
	/** Idempotent. */
	close(): void;
}

/**
 * The log file, one JSON line per record as `log.format: json` prints them.
 * Its directory is created and it is opened now: a typo or a permission
 * problem stops the daemon at start, rather than losing every line later
 * without a word.
 */
export function openLogFile(options: LogFileOptions): LogFile {
	const file = resolve(options.file);
	const directory = dirname(file);
	let rotating: RotatingFile;
	try {
		mkdirSync(directory, {recursive: true});
		// Rotation renames files, which needs write access to the directory too.
		accessSync(directory, constants.W_OK);
		rotating = new RotatingFile({file, maxSizeBytes: options.maxSizeBytes, maxFiles: options.maxFiles});
	} catch (error) {
		throw new ReloaderError('ERR_CONFIG_INVALID', `Cannot write the log file ${file} (log.file): ${errorMessage(error)}`, {
			cause: error,
			hint: `Make ${directory} writable by the user the daemon runs as, or set log.file to another path (the systemd unit provides /var/log/ejabberd-reloader/), or remove log.file to log to stderr only.`,
		});
	}
	let failed = false;
	return {
		write(entry) {
			try {
				rotating.append(`${formatJsonLine(entry)}\n`);
			} catch (error) {
				// The daemon goes on without its file; one report, not one per line.
				if (!failed) {
					failed = true;
					options.onError(error);
				}
			}
		},
		close() {
			rotating.close();
		},
	};
}
