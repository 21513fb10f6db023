import type {FileContent, FileReader} from '../../../daemon/beam/read-file-once.ts';
import type {BeamLister} from '../../../daemon/watcher/directory-sweep.ts';
import type {SimClock} from './sim-clock.ts';

/** A file's bytes and the simulated time of its last write. */
export interface DiskFile {
	readonly bytes: Buffer;
	readonly mtimeMs: number;
	/** Every write makes a new inode here (see FakeDisk): what lstat tells of a rewrite that keeps size and mtime. */
	readonly ino: number;
}

/** `final`: the last write of one operation (the fake watcher may drop it too; the directory sweep then finds it). */
export type DiskListener = (path: string, final: boolean) => void;

/**
 * The ebin directory of the simulation: writes replace a path's bytes (a new
 * inode each time, as `install` and `rename` make), reads see the bytes of the
 * moment they open the file. Opens are counted.
 */
export class FakeDisk {
	readonly #clock: SimClock;
	readonly #files = new Map<string, DiskFile>();
	readonly #listeners = new Set<DiskListener>();
	opens = 0;
	#nextIno = 1;
	/** Writes and unlinks so far, and how many of them the last listing had seen: a sweep since the last change has looked at every file as it is. */
	changes = 0;
	changesAtLastListing = -1;
	/** When the last listing ran (simulated ms). */
	lastListingAt = -1;

	/** Coarse file systems (and `install -p`) give a rewrite the same mtime: 1 for millisecond stamps, 1000 for second ones. */
	readonly #mtimeStepMs: number;

	constructor(clock: SimClock, mtimeStepMs = 1) {
		this.#clock = clock;
		this.#mtimeStepMs = mtimeStepMs;
	}

	get(path: string): DiskFile | undefined {
		return this.#files.get(path);
	}

	paths(): string[] {
		return [...this.#files.keys()];
	}

	/** `mtimeMs`: keep this mtime (`install -p`, `cp -p`) instead of now. */
	write(path: string, bytes: Buffer, final: boolean, mtimeMs?: number): void {
		this.changes++;
		this.#files.set(path, {bytes, mtimeMs: mtimeMs ?? Math.floor(this.#clock.now() / this.#mtimeStepMs) * this.#mtimeStepMs, ino: this.#nextIno++});
		for (const listener of this.#listeners) {
			listener(path, final);
		}
	}

	unlink(path: string): void {
		this.changes++;
		this.#files.delete(path);
	}

	onWrite(listener: DiskListener): void {
		this.#listeners.add(listener);
	}

	/**
	 * The directory sweep's lister over this disk: each beam's size, mtime and
	 * inode, what lstat gives (no content), as it is at the call.
	 */
	lister(): BeamLister {
		return async (directory, limit) => {
			this.changesAtLastListing = this.changes;
			this.lastListingAt = this.#clock.now();
			const look = new Map<string, string>();
			for (const [path, file] of this.#files) {
				if (look.size < limit && path.startsWith(`${directory}/`) && path.endsWith('.beam')) {
					look.set(path, `${file.bytes.length}:${file.mtimeMs}:${file.ino}`);
				}
			}
			return look;
		};
	}

	/** The daemon's file reader over this disk: the content at open time, delivered a little later. */
	reader(delay: () => number): FileReader {
		return async path => {
			this.opens++;
			const file = this.#files.get(path);
			const content: FileContent | undefined = file === undefined ? undefined : {bytes: file.bytes, mtimeMs: file.mtimeMs};
			const ms = delay();
			await (ms === 0 ? Promise.resolve() : this.#clock.sleep(ms));
			return content;
		};
	}
}
