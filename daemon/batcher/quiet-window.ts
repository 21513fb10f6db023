export interface QuietWindowOptions {
	/** Trailing quiet window for a lone change (a single save closes after this). */
	readonly debounceMs: number;
	/** Cap measured from the window's first change. */
	readonly maxWaitMs: number;
}

/** Of a burst's span so far, this share is added to the quiet it needs. */
const SPAN_SHARE = 0.5;
/** A burst needs at least this many times the longest gap it has already had. */
const GAP_FACTOR = 3;
/** A burst never needs more quiet than this many debounce windows. */
const BURST_QUIET_CAP = 4;
/** An install still bringing modules it has not written yet may hold the window open this many `maxWaitMs` at most. */
const INSTALL_CAP_FACTOR = 4;

/**
 * When an open batch closes: a trailing quiet window that follows the burst's
 * own pace, capped by a maximum wait. Pure: it is told the time of each
 * change and answers when to close; it holds no timer and reads no clock.
 *
 * Why the quiet grows inside a burst. A lone change (one save) closes after
 * `debounceMs`, as before: nothing here may slow a save down. But a window
 * that already holds several changes is a bulk writer at work (`make
 * install` runs one `install` per file, or per group), and the silence that
 * ends it must be told apart from a pause inside it. Those pauses grow with
 * the machine's load, and not only at the writer: the daemon itself stats
 * and reads every file of the burst, so on a busy host its own backlog
 * stretches the time between two changes reaching this class (at load 5 a
 * 302-beam burst had one such gap over 300 ms, and became two batches).
 * Both stretches show in the burst itself, so the quiet a burst needs is
 * taken from it:
 * - half of its span so far on top of `debounceMs`: a burst that a loaded
 *   machine delivers slowly has a long span, and is waited on longer;
 * - at least three times the longest gap it has already had: a pause that
 *   long is how this machine behaves right now, and a few times more is
 *   still the same writer.
 * Bounded twice: never more than four debounce windows (a burst that has
 * gone quiet for that long has ended, and the reload it waits for should not
 * lag further), and never past `maxWaitMs` from the first change, so a
 * steady stream still closes. Two saves a few milliseconds apart (an
 * editor's "save all") have no span to speak of and close after about
 * `debounceMs`.
 *
 * Why an install may run past `maxWaitMs`. The cap is there for a stream
 * that never ends: one file rewritten over and over. `make install` with one
 * `install` per beam is not that: on a loaded host it writes ~300 beams for
 * 4-5 s, each change a module the window has not seen yet, and a 3 s cap cut
 * it into two batches in every round of the bench. So while the changes keep
 * naming new modules (told by `note`'s key), the cap follows the last new
 * one like the quiet does, up to `INSTALL_CAP_FACTOR` × `maxWaitMs` from the
 * first change; rewrites of modules already in the window do not move it.
 */
export class QuietWindow {
	readonly #debounceMs: number;
	readonly #maxWaitMs: number;
	#openedAt: number | undefined;
	#lastAt = 0;
	#longestGap = 0;
	#count = 0;
	/** The modules noted in this window, and when the last one not seen before came. */
	readonly #keys = new Set<string>();
	#lastNewKeyAt: number | undefined;

	constructor(options: QuietWindowOptions) {
		validateWindow('debounceMs', options.debounceMs);
		validateWindow('maxWaitMs', options.maxWaitMs);
		if (options.maxWaitMs < options.debounceMs) {
			throw new TypeError(`Expected \`maxWaitMs\` (${options.maxWaitMs}) to be at least \`debounceMs\` (${options.debounceMs})`);
		}
		this.#debounceMs = options.debounceMs;
		this.#maxWaitMs = options.maxWaitMs;
	}

	/** When the first change of the open window came; undefined when none. */
	get openedAt(): number | undefined {
		return this.#openedAt;
	}

	/** A change arrived at `now` (clock ms); `key`: what changed (the module), so an install that keeps bringing new ones is told from one file rewritten forever. */
	note(now: number, key?: string): void {
		if (!Number.isFinite(now)) {
			throw new TypeError(`Expected the time of a change to be a finite number, got \`${String(now)}\` (${typeof now})`);
		}
		this.#count++;
		if (key !== undefined && !this.#keys.has(key)) {
			this.#keys.add(key);
			this.#lastNewKeyAt = Math.max(this.#lastNewKeyAt ?? now, now);
		}
		if (this.#openedAt === undefined) {
			this.#openedAt = now;
			this.#lastAt = now;
			return;
		}
		// A clock stepped back (wall time) makes no negative gap and does not move the window back.
		this.#longestGap = Math.max(this.#longestGap, now - this.#lastAt);
		this.#lastAt = Math.max(this.#lastAt, now);
	}

	/** When the open batch should close, given what has been noted; undefined when nothing is open. A lone change closes at its time + debounceMs; never later than openedAt + maxWaitMs, unless new modules keep coming (then at most INSTALL_CAP_FACTOR × maxWaitMs). */
	closesAt(): number | undefined {
		if (this.#openedAt === undefined) {
			return undefined;
		}
		const quietEnd = this.#lastAt + this.#quietNeeded();
		const installing = this.#lastNewKeyAt === undefined ? 0 : this.#lastNewKeyAt + this.#quietNeeded();
		const cap = Math.min(Math.max(this.#openedAt + this.#maxWaitMs, installing), this.#openedAt + (INSTALL_CAP_FACTOR * this.#maxWaitMs));
		return Math.min(quietEnd, cap);
	}

	/** The batch closed: start afresh. */
	reset(): void {
		this.#openedAt = undefined;
		this.#lastAt = 0;
		this.#longestGap = 0;
		this.#count = 0;
		this.#keys.clear();
		this.#lastNewKeyAt = undefined;
	}

	#quietNeeded(): number {
		if (this.#count < 2) {
			return this.#debounceMs;
		}
		const span = this.#lastAt - (this.#openedAt ?? this.#lastAt);
		const wanted = Math.max(this.#debounceMs + (span * SPAN_SHARE), this.#longestGap * GAP_FACTOR);
		return Math.round(Math.min(wanted, this.#debounceMs * BURST_QUIET_CAP));
	}
}

function validateWindow(name: string, value: number): void {
	if (!Number.isInteger(value) || value < 0) {
		throw new TypeError(`Expected \`${name}\` to be a non-negative integer, got \`${String(value)}\` (${typeof value})`);
	}
}
