import {closeSync, existsSync, fstatSync, openSync, renameSync, writeSync} from 'node:fs';

export interface RotatingFileOptions {
	readonly file: string;
	/** A line that would take the file past this size goes to a fresh file. */
	readonly maxSizeBytes: number;
	/** Rotated files kept beside the current one: `file.1` (newest) ... `file.<maxFiles>`. */
	readonly maxFiles: number;
}

/**
 * An append-only file rotated by size, written synchronously. winston 3.19's
 * File transport was tried first: under bursts it dropped lines at each
 * rotation and reported `finish` on close while lines were still buffered, so
 * the last lines before a stop were lost. The daemon logs a few lines per
 * batch, so a synchronous write costs nothing noticeable, and each line is in
 * the file when `append` returns: nothing to flush, nothing lost on exit.
 * The current file keeps its name (logrotate's numbering), so `tail -F` follows it.
 */
export class RotatingFile {
	readonly #options: RotatingFileOptions;
	#fd: number | undefined;
	#size = 0;
	#closed = false;

	constructor(options: RotatingFileOptions) {
		this.#options = options;
		this.#open();
	}

	/** Append one line (its newline included). Throws the fs error. */
	append(line: string): void {
		if (this.#closed) {
			throw new Error(`The log file ${this.#options.file} is closed`);
		}
		const bytes = Buffer.from(line);
		if (this.#fd !== undefined && this.#size > 0 && this.#size + bytes.length > this.#options.maxSizeBytes) {
			this.#rotate();
		}
		// After a failed rotation or open, try again with each line: the disk may have been freed.
		const fd = this.#fd ?? this.#open();
		let written = 0;
		while (written < bytes.length) {
			written += writeSync(fd, bytes, written);
		}
		this.#size += bytes.length;
	}

	/** Idempotent. */
	close(): void {
		this.#closed = true;
		if (this.#fd !== undefined) {
			closeSync(this.#fd);
			this.#fd = undefined;
		}
	}

	#rotate(): void {
		const {file, maxFiles} = this.#options;
		if (this.#fd !== undefined) {
			closeSync(this.#fd);
			this.#fd = undefined;
		}
		// Oldest first, so each rename overwrites only the file that falls off the end.
		for (let number = maxFiles - 1; number >= 1; number--) {
			if (existsSync(`${file}.${number}`)) {
				renameSync(`${file}.${number}`, `${file}.${number + 1}`);
			}
		}
		renameSync(file, `${file}.1`);
		this.#open();
	}

	#open(): number {
		const fd = openSync(this.#options.file, 'a', 0o640);
		this.#fd = fd;
		this.#size = fstatSync(fd).size;
		return fd;
	}
}
