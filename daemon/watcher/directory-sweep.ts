import {lstat, opendir, stat} from 'node:fs/promises';
import * as path from 'node:path';
import {systemClock, type Clock, type TimerHandle} from '../batcher/clock.ts';
import {ReloaderError, describeValue, errorMessage, quoteUntrusted} from '../errors.ts';
import {moduleOfBeamPath} from '../modules/module-name.ts';

/**
 * Lists the plainly named beams of a directory, at most `limit` of them, each
 * with a fingerprint that changes when the file does, from its metadata alone
 * (no content is read). A directory that is not there has none; any other
 * failure throws (the last look is then kept).
 */
export type BeamLister = (directory: string, limit: number) => Promise<ReadonlyMap<string, string>>;

export interface DirectorySweepOptions {
	readonly directories: readonly string[];
	/** A beam that is new or changed since the last look (the daemon hands it to the settle step). */
	readonly onChanged: (path: string) => void;
	/** A directory that could not be listed, or holds more beams than are kept (once per run of it). Default: ignored. */
	readonly onError?: (error: ReloaderError) => void;
	/** Time between the end of one look and the start of the next. Default: DEFAULT_SWEEP_MS. */
	readonly intervalMs?: number;
	/** Default: listBeamFingerprints (readdir, then one lstat per beam). */
	readonly list?: BeamLister;
	/** Default: the system clock. */
	readonly clock?: Clock;
	/** Beams kept per directory; past it the rest are not looked at. Default: MAX_SWEPT_BEAMS. */
	readonly maxBeams?: number;
	/** One beam's fingerprint now, as `list` gives it (undefined: not there). Default: one lstat (stat through a link); with a `list` of its own, what it lists of the beam's directory. */
	readonly fingerprint?: (beam: string) => Promise<string | undefined>;
}

type ResolvedDirectorySweepOptions = Readonly<Required<DirectorySweepOptions>>;

/**
 * inotify drops events when its queue overflows (a huge `make install` on a
 * busy machine), and chokidar then never reports the write. A look every 5 s
 * bounds how long such a change goes unseen; it costs one readdir and one
 * lstat per beam (ejabberd's ebin holds about 300: a millisecond or two), so
 * it is cheap enough to run all the time.
 */
export const DEFAULT_SWEEP_MS = 5000;
/** Far above any ebin directory (ejabberd's holds about 300); a look stays a few MB of strings at most. */
export const MAX_SWEPT_BEAMS = 20_000;

/**
 * A cheap periodic look at the watched directories, behind the watcher: a
 * change whose event was lost is seen within `intervalMs` of being made (plus
 * the look itself), then goes the way of a watcher event (settle, quiet
 * window). So a missed change reaches the node within intervalMs + the time it
 * takes to settle + the batch's quiet window (debounceMs, at most maxWaitMs)
 * + the batch itself. It is not counted as a write during a running batch:
 * a look that falls inside a batch finds every beam of an install changed
 * since the last look, which the watcher reported long before.
 * The first look is the baseline and reports nothing. A change that leaves
 * size, mtime, ctime and inode as they were (an in-place rewrite of the same
 * size within one tick of a coarse clock, on a file system with 1 s stamps) is
 * invisible to it. Looks never overlap: the next is timed from the end of the
 * last. Repeating a write the watcher already reported is harmless: the
 * settler hands each version of a file on once.
 */
export class DirectorySweep {
	readonly #options: ResolvedDirectorySweepOptions;
	/** Each directory's last look: path → fingerprint. */
	readonly #looks = new Map<string, Map<string, string>>();
	/** Directories whose last look failed or was capped: reported once per run of it. */
	readonly #troubled = new Set<string>();
	#timer: TimerHandle | undefined;
	#looking: Promise<void> | undefined;
	#closing: Promise<void> | undefined;

	constructor(options: DirectorySweepOptions) {
		this.#options = resolveDirectorySweepOptions(options);
		this.#looking = this.#look(false);
	}

	/**
	 * The watcher reported a write of this beam: what the beam is now becomes
	 * its last look, so the next look reports only a change the watcher did
	 * not. Without it the first look after any write would report it again,
	 * and a beam the settle step was told to forget (a list-verified batch)
	 * would be handed on again, for one more batch of nothing.
	 */
	noteWritten(beam: string): void {
		const directory = this.#options.directories.find(watched => path.resolve(watched) === path.resolve(path.dirname(beam)));
		void this.#options.fingerprint(beam).then(fingerprint => {
			const look = directory === undefined ? undefined : this.#looks.get(directory);
			if (look === undefined || this.#closing !== undefined) {
				return;
			}
			if (fingerprint === undefined) {
				look.delete(beam);
			} else {
				look.set(beam, fingerprint);
			}
		}, () => {
			// Unreadable now: the next look says what it is.
		});
	}

	/** Resolves once the baseline look is done: changes from then on are seen. */
	async ready(): Promise<void> {
		await this.#looking;
	}

	/** Stops looking; a look in progress reports nothing more. Idempotent. */
	close(): Promise<void> {
		this.#closing ??= this.#close();
		return this.#closing;
	}

	async #close(): Promise<void> {
		if (this.#timer !== undefined) {
			this.#options.clock.clearTimer(this.#timer);
			this.#timer = undefined;
		}
		await this.#looking;
	}

	async #look(report: boolean): Promise<void> {
		for (const directory of this.#options.directories) {
			const look = await this.#list(directory);
			if (this.#closing !== undefined) {
				return;
			}
			if (look === undefined) {
				continue;
			}
			const last = this.#looks.get(directory);
			this.#looks.set(directory, new Map(look));
			// A directory's first look is its baseline (one added while the daemon runs, too: it was indexed as it was).
			if (report && last !== undefined) {
				for (const [beam, fingerprint] of look) {
					if (last?.get(beam) !== fingerprint) {
						this.#options.onChanged(beam);
					}
				}
			}
		}
		if (this.#closing === undefined) {
			this.#timer = this.#options.clock.setTimer(() => {
				this.#timer = undefined;
				this.#looking = this.#look(true);
			}, this.#options.intervalMs);
		}
	}

	/** One directory's beams now; undefined when it could not be listed (its last look is kept). */
	async #list(directory: string): Promise<ReadonlyMap<string, string> | undefined> {
		const {list, maxBeams} = this.#options;
		let look: ReadonlyMap<string, string>;
		try {
			look = await list(directory, maxBeams);
		} catch (error) {
			this.#trouble(directory, () => new ReloaderError('ERR_WATCH', `Could not look at ${quoteUntrusted(directory, 300)} for beams the watcher missed: ${errorMessage(error)}; looked at again in ${this.#options.intervalMs} ms`, {cause: error, retryable: true}));
			return undefined;
		}
		if (look.size >= maxBeams) {
			this.#trouble(directory, () => new ReloaderError('ERR_WATCH', `${quoteUntrusted(directory, 300)} holds ${maxBeams} beams or more; only the first ${maxBeams} listed are looked at for changes the watcher missed`, {
				hint: 'Watch the ebin directories themselves, not a directory of build output.',
			}));
		} else {
			this.#troubled.delete(directory);
		}
		return look;
	}

	#trouble(directory: string, error: () => ReloaderError): void {
		if (!this.#troubled.has(directory)) {
			this.#troubled.add(directory);
			this.#options.onError(error());
		}
	}
}

/**
 * The real lister: the directory is read as a stream (a huge one never blocks
 * the event loop, and at most `limit` beams are kept), each beam lstat'ed
 * (stat'ed through a link). Size, mtime, ctime (which no `install -p` can set
 * back) and inode together change with any write, create or rename onto the name.
 */
export async function listBeamFingerprints(directory: string, limit: number): Promise<ReadonlyMap<string, string>> {
	const look = new Map<string, string>();
	let entries;
	try {
		entries = await opendir(directory);
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') {
			return look;
		}
		throw error;
	}
	for await (const entry of entries) {
		if (look.size >= limit) {
			// Leaving the loop closes the directory.
			break;
		}
		if (moduleOfBeamPath(entry.name) === undefined || !(entry.isFile() || entry.isSymbolicLink())) {
			continue;
		}
		const beam = path.join(directory, entry.name);
		const fingerprint = await fingerprintOf(beam);
		if (fingerprint !== undefined) {
			look.set(beam, fingerprint);
		}
	}
	return look;
}

async function fingerprintOf(beam: string): Promise<string | undefined> {
	try {
		const link = await lstat(beam);
		const stats = link.isSymbolicLink() ? await stat(beam) : link;
		return `${stats.size}:${stats.mtimeMs}:${stats.ctimeMs}:${stats.ino}`;
	} catch {
		// Gone between readdir and lstat, or a dangling link: nothing there to load.
		return undefined;
	}
}

/** A beam's fingerprint as the lister gives it: the real lister's is one lstat; another (a fake disk) is asked for the beam's directory. */
function fingerprintFrom(list: BeamLister | undefined, maxBeams: number): (beam: string) => Promise<string | undefined> {
	return list === undefined ? fingerprintOf : async beam => (await list(path.dirname(beam), maxBeams)).get(beam);
}

function resolveDirectorySweepOptions(options: DirectorySweepOptions): ResolvedDirectorySweepOptions {
	const intervalMs = options.intervalMs ?? DEFAULT_SWEEP_MS;
	const maxBeams = options.maxBeams ?? MAX_SWEPT_BEAMS;
	const problems = [
		...(Number.isSafeInteger(intervalMs) && intervalMs > 0 ? [] : [`\`intervalMs\` to be a positive integer, got ${describeValue(intervalMs)}`]),
		...(Number.isSafeInteger(maxBeams) && maxBeams > 0 ? [] : [`\`maxBeams\` to be a positive integer, got ${describeValue(maxBeams)}`]),
	];
	if (problems.length > 0) {
		throw new ReloaderError('ERR_CONFIG_INVALID', `Expected the directory sweep's ${problems.join(', and ')}`, {
			hint: 'Give a number of milliseconds, such as 5000, and a number of beams, such as 20000.',
		});
	}
	return Object.freeze({
		directories: options.directories,
		onChanged: options.onChanged,
		onError: options.onError ?? ignore,
		intervalMs,
		list: options.list ?? listBeamFingerprints,
		fingerprint: options.fingerprint ?? fingerprintFrom(options.list, maxBeams),
		clock: options.clock ?? systemClock,
		maxBeams,
	});
}

function ignore(): void {
	// The caller did not ask to hear about it.
}
