import type {WrittenBeam} from './write-beam.ts';

/**
 * How long after the compile stage wrote a beam the watcher's reports of it
 * are taken for that write: its event and its trailing re-check (200 ms
 * later), with room for a loaded host. An outside write within it is still
 * read and loaded (the settle step tells it by its bytes); it only does not
 * defer the running batch's verdict.
 */
export const OWN_WRITE_ECHO_MS = 1000;

/**
 * The beams the compile stage wrote a moment ago, by path. They are whole
 * (renamed into place), so a settle that finds exactly those bytes is owed
 * at once, with no quiet window to wait out; and the watcher's reports of
 * them are the daemon's own write, not one made while a batch ran (counted
 * as such, they would defer the module on a transport that verifies by the
 * list). Pure: the caller gives the time.
 */
export class CompiledBeams {
	readonly #beams = new Map<string, {readonly digest: string; readonly at: number}>();

	/** The compile stage wrote this beam at `now`. */
	note(beam: WrittenBeam, now: number): void {
		for (const [path, {at}] of this.#beams) {
			if (now - at > OWN_WRITE_ECHO_MS) {
				this.#beams.delete(path);
			}
		}
		this.#beams.set(beam.path, {digest: beam.digest, at: now});
	}

	/** A settled read of `path` found the very bytes the compile stage wrote. */
	isCompiled(path: string, digest: string | undefined): boolean {
		return digest !== undefined && this.#beams.get(path)?.digest === digest;
	}

	/** A watcher report of `path` at `now` is the echo of the compile stage's own write. */
	isEcho(path: string, now: number): boolean {
		const own = this.#beams.get(path);
		return own !== undefined && now - own.at <= OWN_WRITE_ECHO_MS;
	}
}
