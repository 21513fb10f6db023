import {dirname, resolve} from 'node:path';
import type {BeamChange} from '../batcher/batch.ts';
import {systemClock, type Clock, type TimerHandle} from '../batcher/clock.ts';
import {readBeamSnapshot, type BeamRead, type BeamReader} from '../beam/beam-snapshot.ts';
import {unreadable} from '../beam/beam-file.ts';
import {ReloaderError} from '../errors.ts';
import {moduleOfBeamPath} from '../modules/module-name.ts';

/** A beam handed on: its path's module, when it settled, and the snapshot of its one read. */
export type SettledBeam = BeamChange;

export interface BeamProblem {
	readonly module: string | undefined;
	readonly path: string;
	readonly error: ReloaderError;
}

export interface BeamSettlerOptions {
	/** How long a beam may stay half-written, missing (being replaced) or unreadable as a beam before it is reported and skipped. */
	readonly incompleteTimeoutMs: number;
	readonly onSettled: (beam: SettledBeam) => void;
	readonly onProblem: (problem: BeamProblem) => void;
	/**
	 * Reads a path once (one open, one read) and judges it. Its fingerprint
	 * (size, mtime, MD5 of the content) is what makes a second event for the
	 * same file (a `chmod` after the write, a re-check, a directory scan after a
	 * reinstall) neither hand it on nor report it twice. Default: readBeamSnapshot.
	 */
	readonly read?: BeamReader;
	/** Re-check timers and settle times. Default: the system clock. */
	readonly clock?: Clock;
}

/** First re-check of a half-written beam; each next one waits twice as long. */
const FIRST_RECHECK_MS = 20;
/** A read refused for want of descriptors (EMFILE, ENFILE) is tried again, never given up: first after this long... */
const FIRST_TRANSIENT_RETRY_MS = 50;
/** ...then twice as long each time, up to this. */
const MAX_TRANSIENT_RETRY_MS = 2000;

interface PathState {
	generation: number;
	timer: TimerHandle | undefined;
	/** When this path was first seen incomplete or missing since its last write event: the deadline counts from here. */
	unsettledSince: number | undefined;
	/** When this path became unsettled (its first event since it last settled or was reported): what /healthz shows. */
	readonly since: number;
	/** Reads refused for a transient reason (EMFILE, ENFILE) in a row; reported once per run. */
	transientFailures: number;
}

/** A path the settler is waiting on, and since when (epoch ms, the settler's clock). */
export interface UnsettledBeam {
	readonly path: string;
	readonly since: number;
}

/**
 * The beam check between the watcher and the batcher: a path is handed on only
 * once its BEAM container is complete (`FOR1`, length, `BEAM`, and exactly that
 * many bytes), as one immutable snapshot from one read of the file. A write in progress is checked again with a short backoff, since
 * the watcher's last event of a burst may arrive before the last write; so is
 * a path found missing, since `install` unlinks the old file before it writes
 * the new one and an event may be read in between. A beam that stays
 * incomplete, stays missing or is no beam at all is reported once and skipped;
 * a later event for the path supersedes what an earlier one was waiting for.
 * One write often brings several events (`install` chmods after writing, the
 * watcher re-checks after chokidar's throttle, a reinstalled directory is
 * scanned while chokidar also reports it), so each outcome of a path (settled
 * or reported, with the file's fingerprint) is handed on or reported once.
 */
export class BeamSettler {
	readonly #options: BeamSettlerOptions;
	readonly #clock: Clock;
	readonly #read: BeamReader;
	readonly #paths = new Map<string, PathState>();
	/** What each path last came to: settled or reported, with the file's fingerprint. */
	readonly #outcomes = new Map<string, string>();
	/** Woken whenever a path settles, is reported or is dropped: see whenSettled. */
	readonly #waiters = new Set<() => void>();
	#closed = false;

	constructor(options: BeamSettlerOptions) {
		this.#options = options;
		this.#clock = options.clock ?? systemClock;
		this.#read = options.read ?? (async path => readBeamSnapshot(path));
	}

	/** Number of beams being waited on. */
	get unsettledCount(): number {
		return this.#paths.size;
	}

	/** The paths being waited on, oldest first. */
	unsettled(): UnsettledBeam[] {
		return [...this.#paths].map(([path, state]) => ({path, since: state.since})).sort((a, b) => a.since - b.since);
	}

	/** The paths being waited on inside `directory` (not below it). */
	unsettledIn(directory: string): string[] {
		const resolved = resolve(directory);
		return [...this.#paths.keys()].filter(path => dirname(resolve(path)) === resolved);
	}

	/**
	 * Resolves once no path inside `directory` is being waited on (each has
	 * settled, or been reported and skipped), or the settler is closed. Wait
	 * with a deadline of your own: a path may be rewritten forever.
	 */
	whenSettled(directory: string, signal?: AbortSignal): Promise<void> {
		return new Promise<void>(resolve => {
			const done = () => {
				this.#waiters.delete(wake);
				signal?.removeEventListener('abort', done);
				resolve();
			};
			const wake = () => {
				if (this.#closed || this.unsettledIn(directory).length === 0) {
					done();
				}
			};
			signal?.addEventListener('abort', done, {once: true});
			this.#waiters.add(wake);
			wake();
		});
	}

	/**
	 * A write was seen at this path (or a batch found it half-written): check
	 * it. A new write starts the deadline again: a half-written file seen now
	 * is not the one an earlier partial write left.
	 */
	check(path: string): void {
		if (this.#closed) {
			return;
		}
		const state = this.#paths.get(path) ?? {generation: 0, timer: undefined, unsettledSince: undefined, since: this.#clock.now(), transientFailures: 0};
		this.#paths.set(path, state);
		state.generation++;
		state.unsettledSince = undefined;
		this.#cancelTimer(state);
		void this.#inspect(path, state, state.generation, FIRST_RECHECK_MS);
	}

	/**
	 * Check it and hand it on even if it is what this path last came to: a
	 * batch found it half-written, so what it settled as never reached the
	 * node, and a rewrite of the very same bytes and mtime (`install -p`)
	 * must not be taken for nothing new.
	 */
	recheck(path: string): void {
		this.forget(path);
		this.check(path);
	}

	/** Forget what this path last came to: its next event hands it on even if the file is what it was. */
	forget(path: string): void {
		this.#outcomes.delete(path);
	}

	close(): void {
		this.#closed = true;
		for (const state of this.#paths.values()) {
			this.#cancelTimer(state);
		}
		this.#paths.clear();
		this.#outcomes.clear();
		this.#wake();
	}

	/**
	 * One read of the path; a complete beam is handed on, a half-written or
	 * missing one read again with a backoff (a missing file may be one being
	 * replaced: `install` unlinks, then writes) until the deadline.
	 */
	async #inspect(path: string, state: PathState, generation: number, nextDelayMs: number): Promise<void> {
		let read: BeamRead;
		try {
			read = await this.#read(path);
		} catch (error) {
			if (this.#isCurrent(path, state, generation)) {
				const problem = asBeamError(path, error);
				if (problem.retryable) {
					this.#retryTransient(path, state, generation, problem);
					return;
				}
				this.#finish(path);
				this.#report(path, `${problem.code}:${problem.message}`, problem);
			}
			return;
		}
		state.transientFailures = 0;
		if (!this.#isCurrent(path, state, generation)) {
			return;
		}
		const module = moduleOfBeamPath(path);
		if (read.state === 'complete' && module !== undefined) {
			this.#finish(path);
			if (!this.#isRepeat(path, `settled:${read.fingerprint}`)) {
				this.#options.onSettled(Object.freeze({module, path, at: this.#clock.now(), snapshot: read.snapshot}));
			}
			return;
		}
		const now = this.#clock.now();
		state.unsettledSince ??= now;
		const deadline = state.unsettledSince + this.#options.incompleteTimeoutMs;
		if (now >= deadline) {
			this.#finish(path);
			if (read.state === 'missing') {
				this.#report(path, 'vanished', vanished(path, this.#options.incompleteTimeoutMs));
				return;
			}
			// Reported with this read's fingerprint: the very same bytes are not reported twice.
			const error = describeUnsettled(path, read, this.#options.incompleteTimeoutMs);
			this.#report(path, `${error.code}:${read.fingerprint}`, error);
			return;
		}
		state.timer = this.#clock.setTimer(() => {
			state.timer = undefined;
			void this.#inspect(path, state, generation, nextDelayMs * 2);
		}, Math.min(nextDelayMs, deadline - now));
	}

	/**
	 * Out of descriptors (EMFILE, ENFILE) or another error that goes away by
	 * itself: no verdict on the file, so no deadline either. Read again with a
	 * backoff until it can be read, however long that takes (a flood of
	 * connections may hold every descriptor for minutes): a change is never
	 * lost to it. Reported once, at the first failure of the run.
	 */
	#retryTransient(path: string, state: PathState, generation: number, problem: ReloaderError): void {
		state.transientFailures++;
		if (state.transientFailures === 1) {
			this.#options.onProblem({module: moduleOfBeamPath(path), path, error: new ReloaderError(problem.code, `${problem.message}; read again until it can be read`, {cause: problem, retryable: true, hint: problem.hint})});
		}
		const delay = Math.min(MAX_TRANSIENT_RETRY_MS, FIRST_TRANSIENT_RETRY_MS * 2 ** Math.min(state.transientFailures - 1, 10));
		state.timer = this.#clock.setTimer(() => {
			state.timer = undefined;
			void this.#inspect(path, state, generation, FIRST_RECHECK_MS);
		}, delay);
	}

	/**
	 * Whether `path` came to this same outcome last time (and remember it if
	 * not): a second event for the same bytes (the chmod after a write, the
	 * watcher's trailing re-check, a rescan) then hands nothing on and reports
	 * nothing twice.
	 */
	#isRepeat(path: string, outcome: string): boolean {
		if (this.#outcomes.get(path) === outcome) {
			return true;
		}
		this.#outcomes.set(path, outcome);
		return false;
	}

	#isCurrent(path: string, state: PathState, generation: number): boolean {
		return !this.#closed && this.#paths.get(path) === state && state.generation === generation;
	}

	#finish(path: string): void {
		this.#paths.delete(path);
		this.#wake();
	}

	#wake(): void {
		for (const wake of [...this.#waiters]) {
			wake();
		}
	}

	#cancelTimer(state: PathState): void {
		if (state.timer !== undefined) {
			this.#clock.clearTimer(state.timer);
			state.timer = undefined;
		}
	}

	#report(path: string, outcome: string, error: ReloaderError): void {
		if (!this.#isRepeat(path, outcome)) {
			this.#options.onProblem({module: moduleOfBeamPath(path), path, error});
		}
	}
}

function asBeamError(path: string, error: unknown): ReloaderError {
	return error instanceof ReloaderError ? error : unreadable(path, error);
}

/** Deleted or renamed away, and not back by the deadline: a later event brings the new name. */
function vanished(path: string, timeoutMs: number): ReloaderError {
	return new ReloaderError('ERR_BEAM_UNREADABLE', `${path} vanished before it could be read (still missing after ${timeoutMs} ms); skipped`, {
		hint: 'Nothing to do if it was moved or removed on purpose.',
	});
}

function describeUnsettled(path: string, read: Exclude<BeamRead, {state: 'missing'}>, timeoutMs: number): ReloaderError {
	if (read.state === 'incomplete') {
		return new ReloaderError('ERR_BEAM_INCOMPLETE', `${path} stayed incomplete for ${timeoutMs} ms (${read.actualSize} of ${read.expectedSize} bytes); skipped, ejabberd was not given it`, {
			hint: 'Re-run `make install`; a complete write of the file is picked up at once.',
		});
	}
	const reason = read.state === 'invalid' ? read.reason : 'its name is not a module name';
	return new ReloaderError('ERR_BEAM_INVALID', `${path} is not a BEAM file: ${reason}; skipped, ejabberd was not given it`, {
		hint: 'Check what wrote this file; only erlc output belongs in an ebin directory.',
	});
}
