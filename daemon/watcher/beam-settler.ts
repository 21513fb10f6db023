import type {BeamInspection} from '../beam/beam-file.ts';
import {ReloaderError} from '../errors.ts';
import {moduleOfBeamPath} from '../modules/module-name.ts';
import {fingerprintBeamFile} from './beam-fingerprint.ts';

export interface SettledBeam {
	readonly module: string;
	readonly path: string;
	readonly at: number;
}

export interface BeamProblem {
	readonly module: string | undefined;
	readonly path: string;
	readonly error: ReloaderError;
}

export interface BeamSettlerOptions {
	/** How long a beam may stay half-written (or unreadable as a beam) before it is reported and skipped. */
	readonly incompleteTimeoutMs: number;
	readonly inspect: (path: string) => Promise<BeamInspection>;
	readonly onSettled: (beam: SettledBeam) => void;
	readonly onProblem: (problem: BeamProblem) => void;
	readonly now?: () => number;
	/**
	 * What a file is, so that a second event for the same file (a `chmod`
	 * after the write, a re-check, a directory scan after a reinstall) neither
	 * hands it on nor reports it twice; undefined when the file is gone.
	 * Default: size, mtime and MD5 of the content (`fingerprintBeamFile`).
	 */
	readonly fingerprint?: (path: string) => Promise<string | undefined>;
}

/** First re-check of a half-written beam; each next one waits twice as long. */
const FIRST_RECHECK_MS = 20;

interface PathState {
	generation: number;
	timer: NodeJS.Timeout | undefined;
	/** When this path was first seen incomplete in its current run of writes. */
	unsettledSince: number | undefined;
}

/**
 * The beam check between the watcher and the batcher: a path is handed on only
 * once its BEAM container is complete (`FOR1`, length, `BEAM`, and exactly that
 * many bytes). A write in progress is checked again with a short backoff, since
 * the watcher's last event of a burst may arrive before the last write; a beam
 * that stays incomplete or is no beam at all is reported once and skipped.
 * One write often brings several events (`install` chmods after writing, the
 * watcher re-checks after chokidar's throttle, a reinstalled directory is
 * scanned while chokidar also reports it), so each outcome of a path (settled
 * or reported, with the file's fingerprint) is handed on or reported once.
 */
export class BeamSettler {
	readonly #options: BeamSettlerOptions;
	readonly #now: () => number;
	readonly #fingerprint: (path: string) => Promise<string | undefined>;
	readonly #paths = new Map<string, PathState>();
	/** What each path last came to: settled or reported, with the file's fingerprint. */
	readonly #outcomes = new Map<string, string>();
	#closed = false;

	constructor(options: BeamSettlerOptions) {
		this.#options = options;
		this.#now = options.now ?? Date.now;
		this.#fingerprint = options.fingerprint ?? fingerprintBeamFile;
	}

	/** Number of beams being waited on. */
	get unsettledCount(): number {
		return this.#paths.size;
	}

	/** A write was seen at this path (or a batch found it half-written): check it. */
	check(path: string): void {
		if (this.#closed) {
			return;
		}
		const state = this.#paths.get(path) ?? {generation: 0, timer: undefined, unsettledSince: undefined};
		this.#paths.set(path, state);
		state.generation++;
		clearTimeout(state.timer);
		state.timer = undefined;
		void this.#inspect(path, state, state.generation, FIRST_RECHECK_MS);
	}

	/**
	 * Check it and hand it on even if it is what this path last came to: a
	 * batch found it half-written, so what it settled as never reached the
	 * node, and a rewrite of the very same bytes and mtime (`install -p`)
	 * must not be taken for nothing new.
	 */
	recheck(path: string): void {
		this.#outcomes.delete(path);
		this.check(path);
	}

	close(): void {
		this.#closed = true;
		for (const state of this.#paths.values()) {
			clearTimeout(state.timer);
		}
		this.#paths.clear();
		this.#outcomes.clear();
	}

	async #inspect(path: string, state: PathState, generation: number, nextDelayMs: number): Promise<void> {
		let inspection: BeamInspection;
		try {
			inspection = await this.#options.inspect(path);
		} catch (error) {
			if (this.#isCurrent(path, state, generation)) {
				this.#finish(path);
				const problem = asBeamError(path, error);
				this.#report(path, `${problem.code}:${problem.message}`, problem);
			}
			return;
		}
		if (!this.#isCurrent(path, state, generation)) {
			return;
		}
		const module = moduleOfBeamPath(path);
		if (inspection.state === 'complete' && module !== undefined) {
			await this.#settle(path, state, generation, module);
			return;
		}
		if (inspection.state === 'missing') {
			this.#finish(path);
			this.#report(path, 'vanished', vanished(path));
			return;
		}
		const now = this.#now();
		state.unsettledSince ??= now;
		const deadline = state.unsettledSince + this.#options.incompleteTimeoutMs;
		if (now >= deadline) {
			await this.#giveUp(path, state, generation, describeUnsettled(path, inspection, this.#options.incompleteTimeoutMs));
			return;
		}
		state.timer = setTimeout(() => {
			state.timer = undefined;
			void this.#inspect(path, state, generation, nextDelayMs * 2);
		}, Math.min(nextDelayMs, deadline - now));
		state.timer.unref();
	}

	/** Hand a complete beam on, unless it is exactly what this path last came to. */
	async #settle(path: string, state: PathState, generation: number, module: string): Promise<void> {
		const fingerprint = await this.#fingerprintOf(path);
		if (!this.#isCurrent(path, state, generation)) {
			return;
		}
		this.#finish(path);
		if (fingerprint instanceof ReloaderError) {
			this.#report(path, `${fingerprint.code}:${fingerprint.message}`, fingerprint);
		} else if (fingerprint === undefined) {
			this.#report(path, 'vanished', vanished(path));
		} else if (!this.#isRepeat(path, `settled:${fingerprint}`)) {
			this.#options.onSettled({module, path, at: this.#now()});
		}
	}

	/** Report a beam that stayed incomplete or invalid, unless these very bytes were reported already. */
	async #giveUp(path: string, state: PathState, generation: number, error: ReloaderError): Promise<void> {
		const fingerprint = await this.#fingerprintOf(path);
		if (!this.#isCurrent(path, state, generation)) {
			return;
		}
		this.#finish(path);
		const of = fingerprint instanceof ReloaderError ? 'unreadable' : fingerprint ?? 'gone';
		this.#report(path, `${error.code}:${of}`, error);
	}

	/** The file's fingerprint; undefined if it is gone; the error if it cannot be read. */
	async #fingerprintOf(path: string): Promise<string | undefined | ReloaderError> {
		try {
			return await this.#fingerprint(path);
		} catch (error) {
			return asBeamError(path, error);
		}
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
	}

	#report(path: string, outcome: string, error: ReloaderError): void {
		if (!this.#isRepeat(path, outcome)) {
			this.#options.onProblem({module: moduleOfBeamPath(path), path, error});
		}
	}
}

function asBeamError(path: string, error: unknown): ReloaderError {
	return error instanceof ReloaderError ? error : new ReloaderError('ERR_BEAM_UNREADABLE', `Cannot read ${path}: ${String(error)}`, {cause: error});
}

/** Deleted or renamed away before it could be read: a later event brings the new name. */
function vanished(path: string): ReloaderError {
	return new ReloaderError('ERR_BEAM_UNREADABLE', `${path} vanished before it could be read; skipped`, {
		hint: 'Nothing to do if it was moved or removed on purpose.',
	});
}

function describeUnsettled(path: string, inspection: BeamInspection, timeoutMs: number): ReloaderError {
	if (inspection.state === 'incomplete') {
		return new ReloaderError('ERR_BEAM_INCOMPLETE', `${path} stayed incomplete for ${timeoutMs} ms (${inspection.actualSize} of ${inspection.expectedSize} bytes); skipped, ejabberd was not given it`, {
			hint: 'Re-run `make install`; a complete write of the file is picked up at once.',
		});
	}
	const reason = inspection.state === 'invalid' ? inspection.reason : 'its name is not a module name';
	return new ReloaderError('ERR_BEAM_INVALID', `${path} is not a BEAM file: ${reason}; skipped, ejabberd was not given it`, {
		hint: 'Check what wrote this file; only erlc output belongs in an ebin directory.',
	});
}
