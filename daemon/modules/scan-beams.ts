import {boundedBeamReader, type BeamRead, type BeamReader} from '../beam/beam-snapshot.ts';
import {DEFAULT_MAX_BEAM_BYTES} from '../beam/read-file-once.ts';
import {errorMessage, isRetryable, quoteUntrusted} from '../errors.ts';
import {BeamIndex, listBeamEntries} from './beam-index.ts';
import {moduleOfBeamPath} from './module-name.ts';

/** Beams read at once: ejabberd's ebin holds about 280, and each read holds one descriptor. */
const SCAN_CONCURRENCY = 16;
/** A read refused for want of descriptors (EMFILE) is tried again this many times, with a growing pause. */
const TRANSIENT_TRIES = 8;
const FIRST_TRANSIENT_PAUSE_MS = 25;

/**
 * Build the index of the watched directories: each module's beam and its
 * version as it is now (one bounded read per beam). This baseline is what
 * tells a later identical rebuild (`unchanged`) from a real change. Only a
 * regular, complete beam whose module matches its file name is indexed; every
 * other entry named `*.beam` (a directory, a FIFO, junk, a dangling link, a
 * half-written or misnamed beam) is noted as a stray, for the one warning the
 * daemon gives at start. After this, only batch records update the index,
 * and the scan of a directory added at run time (into `index`: what it
 * holds already wins, as the earlier directory on the code path does).
 */
export async function scanBeams(directories: readonly string[], read: BeamReader = boundedBeamReader(DEFAULT_MAX_BEAM_BYTES), index = new BeamIndex()): Promise<BeamIndex> {
	const entries = await listBeamEntries(directories);
	const outcomes = new Map<string, Outcome>();
	let next = 0;
	const worker = async () => {
		while (next < entries.length) {
			const path = entries[next++] ?? '';
			outcomes.set(path, await judge(path, read));
		}
	};
	await Promise.all(Array.from({length: Math.min(SCAN_CONCURRENCY, entries.length)}, worker));
	// In directory order, first directory winning, as the code path does.
	for (const path of entries) {
		const outcome = outcomes.get(path);
		const module = moduleOfBeamPath(path);
		if (outcome === undefined || outcome.kind === 'gone') {
			continue;
		}
		if (outcome.kind === 'stray' || module === undefined) {
			index.noteStray({path, what: outcome.kind === 'stray' ? outcome.what : 'a file whose name is not a module name'});
		} else if (!index.has(module)) {
			if (outcome.kind === 'beam') {
				index.noteVersion(module, path, outcome.vsn, outcome.codeMd5);
			} else {
				// Still out of descriptors after every try: a regular file as far as anyone could tell; its first change counts as a change.
				index.notePath(module, path);
			}
		}
	}
	return index;
}

type Outcome =
	| {readonly kind: 'beam'; readonly vsn: string | undefined; readonly codeMd5: string}
	| {readonly kind: 'unread'}
	| {readonly kind: 'stray'; readonly what: string}
	| {readonly kind: 'gone'};

async function judge(path: string, read: BeamReader): Promise<Outcome> {
	let beam: BeamRead | undefined;
	for (let attempt = 1; beam === undefined; attempt++) {
		try {
			beam = await read(path);
		} catch (error) {
			if (!isRetryable(error)) {
				return {kind: 'stray', what: whatOf(errorMessage(error), path)};
			}
			if (attempt >= TRANSIENT_TRIES) {
				return {kind: 'unread'};
			}
			await new Promise(resolve => setTimeout(resolve, FIRST_TRANSIENT_PAUSE_MS * 2 ** attempt));
		}
	}
	switch (beam.state) {
		case 'missing': {
			return {kind: 'gone'};
		}
		case 'incomplete': {
			return {kind: 'stray', what: `a half-written beam (${beam.actualSize} of ${beam.expectedSize} bytes)`};
		}
		case 'invalid': {
			return {kind: 'stray', what: `not a beam file: ${beam.reason}`};
		}
		case 'complete': {
			const expected = moduleOfBeamPath(path);
			return beam.snapshot.module === expected ? {kind: 'beam', vsn: beam.snapshot.vsn, codeMd5: beam.snapshot.codeMd5} : {kind: 'stray', what: `a beam of module ${quoteUntrusted(beam.snapshot.module)}, not of ${quoteUntrusted(expected ?? '')}`};
		}
	}
}

/** `"/x/qdir.beam" is a directory, not a regular file; ...` → `a directory`: the message names the path already. */
function whatOf(message: string, path: string): string {
	const kind = / is (a .+?), not a regular file/.exec(message)?.[1];
	return kind ?? message.replace(quoteUntrusted(path, 300), 'it');
}
