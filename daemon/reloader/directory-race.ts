import type {BeamReader} from '../beam/beam-snapshot.ts';
import {ReloaderError, isRetryable, quoteUntrusted} from '../errors.ts';

/**
 * ejabberd_update reads every `*.beam` of its directory (update_info, and
 * update/1 through it) and crashes on one it cannot read as a beam:
 * `{badmatch, {error, beam_lib, {missing_chunk, '/x/ebin/m.beam', "Attr"}}}` (the
 * path a string or, as beam_lib gives it there, an atom).
 * These find such a failure in an answer and tell a file that was caught
 * mid-write (worth another try once the directory is settled) from one that
 * is broken for good (the failure stands).
 */
const BEAM_LIB_ERROR = /\{error,\s*beam_lib,\s*\{(\w+),\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')/g;

export interface BeamFileError {
	/** beam_lib's reason: `not_a_beam_file`, `file_error`, `missing_chunk`, ... */
	readonly reason: string;
	readonly path: string;
}

/** The beam_lib file errors an answer from the node names (as formatted in the record). */
export function beamFileErrors(text: string): BeamFileError[] {
	return [...text.matchAll(BEAM_LIB_ERROR)].map(match => ({reason: match[1] ?? '', path: unescapeCharlist(match[2] ?? match[3] ?? '')}));
}

/**
 * Whether the file ejabberd failed on is in flux: complete now, still being
 * written, or gone (an install replaced or removed it under the scan). A file
 * that is no beam now either is broken for good: the failure was real.
 */
export async function changedUnderIt(path: string, read: BeamReader): Promise<boolean> {
	try {
		const now = await read(path);
		return now.state !== 'invalid';
	} catch {
		// Not a regular file, or unreadable: nothing another try would change.
		return false;
	}
}

/** A few hand-backs in a row per module; past that, a directory that never settles fails the module with ejabberd's own reason. */
const MAX_HAND_BACKS = 5;

/**
 * Which modules' update failures came from a beam of the directory caught
 * mid-write, to be handed back (deferred) rather than failed. Counts the
 * hand-backs per module so a directory rewritten forever ends in a failure.
 */
export class DirectoryRaces {
	readonly #handBacks = new Map<string, number>();

	async raced(errors: ReadonlyMap<string, string>, read: BeamReader): Promise<Set<string>> {
		const raced = new Set<string>();
		const judged = new Map<string, Promise<boolean>>();
		for (const [module, reason] of errors) {
			const files = beamFileErrors(reason);
			if (files.length === 0) {
				continue;
			}
			const inFlux = await Promise.all(files.map(async ({path}) => {
				const judging = judged.get(path) ?? changedUnderIt(path, read);
				judged.set(path, judging);
				return judging;
			}));
			const count = (this.#handBacks.get(module) ?? 0) + 1;
			if (inFlux.every(Boolean) && count <= MAX_HAND_BACKS) {
				this.#handBacks.set(module, count);
				raced.add(module);
			} else {
				this.#handBacks.delete(module);
			}
		}
		return raced;
	}

	/** The module's update went through (or failed for another reason): its count starts again. */
	settle(modules: Iterable<string>): void {
		for (const module of modules) {
			this.#handBacks.delete(module);
		}
	}
}

/** update_info calls per batch while its directory keeps being caught mid-write. */
export const UPDATE_INFO_TRIES = 3;

/** Whether a failed update_info call failed on a beam of its directory that is in flux: worth one more call once settled. */
export async function isDirectoryRace(error: unknown, read: BeamReader): Promise<boolean> {
	if (isRetryable(error)) {
		return false;
	}
	const files = beamFileErrors(error instanceof Error ? error.message : String(error));
	if (files.length === 0) {
		return false;
	}
	const inFlux = await Promise.all(files.map(async ({path}) => changedUnderIt(path, read)));
	return inFlux.every(Boolean);
}

function unescapeCharlist(text: string): string {
	return text.replace(/\\(.)/g, '$1');
}

/**
 * update_info is not called while its directory holds entries its scan cannot
 * survive (see findScanHazards); a transport that cannot load beams itself has
 * no other way to update the batch: it fails, naming them.
 */
export function scanHazardError(directory: string, hazards: readonly string[]): ReloaderError {
	return new ReloaderError('ERR_NODE_COMMAND', `ejabberd_update was not called: its scan of ${quoteUntrusted(directory, 300)} reads every *.beam whole, and ${hazards.length === 1 ? 'this one' : 'these'} would hang or exhaust the node: ${hazards.slice(0, 10).join(', ')}`, {
		hint: 'Remove them from the ebin directory, then install the beams again; with transport: dist the daemon loads the batch\'s beams itself meanwhile.',
	});
}
