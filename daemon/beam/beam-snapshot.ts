import {createHash} from 'node:crypto';
import {ReloaderError} from '../errors.ts';
import {moduleNameOfChunks, readBeamChunks, versionOfChunks} from './beam-chunks.ts';
import {checkBeamHeader} from './beam-header.ts';
import {beamCodeMd5} from './code-md5.ts';
import {DEFAULT_BEAM_READ_TIMEOUT_MS, boundedFileReader, readFileOnce, type FileContent, type FileReader} from './read-file-once.ts';

/**
 * One complete beam as it was read, once, by the settle step. Everything after
 * (batcher, reloader, index) works from this and never reads the file again;
 * the node reads the file itself, so verification compares what the node then
 * runs with `codeMd5`: a later write shows up as a mismatch, never as this beam.
 */
export interface BeamSnapshot {
	readonly path: string;
	/** Bytes read (a complete beam: its header's length + 8). */
	readonly size: number;
	readonly mtimeMs: number;
	/** MD5 of the whole file, lowercase hex: tells a rewrite of the same size and mtime apart. */
	readonly digest: string;
	/** The module named in the beam's atom table (may differ from the file name: the check rejects that). */
	readonly module: string;
	/** The `vsn` attribute (see readBeamVersion); undefined without one. */
	readonly vsn: string | undefined;
	/** The code's MD5 as `beam_lib:md5/1` and `M:module_info(md5)` give it, lowercase hex. */
	readonly codeMd5: string;
}

/** What one read of a beam path found. `fingerprint` (size, mtime, digest) tells a re-read of the same bytes apart from new ones. */
export type BeamRead =
	| {readonly state: 'missing'}
	| {readonly state: 'complete'; readonly snapshot: BeamSnapshot; readonly fingerprint: string}
	| {readonly state: 'incomplete'; readonly expectedSize: number; readonly actualSize: number; readonly fingerprint: string}
	| {readonly state: 'invalid'; readonly reason: string; readonly fingerprint: string};

export type BeamReader = (path: string) => Promise<BeamRead>;

/** Read a beam path once (one open, one read) and judge what it holds. Throws ERR_BEAM_UNREADABLE when it cannot be read. */
export async function readBeamSnapshot(path: string, readFile: FileReader = readFileOnce): Promise<BeamRead> {
	const content = await readFile(path);
	return content === undefined ? {state: 'missing'} : judgeBeamContent(path, content);
}

/** A reader bound to a file reader (tests count opens through it; the simulation reads its fake disk). */
export function beamReader(readFile: FileReader = readFileOnce): BeamReader {
	return async path => readBeamSnapshot(path, readFile);
}

/** The reader the daemon uses: real files, at most `maxBytes` (`maxBeamBytes`) per beam. */
export function boundedBeamReader(maxBytes: number, timeoutMs = DEFAULT_BEAM_READ_TIMEOUT_MS): BeamReader {
	return beamReader(boundedFileReader({maxBytes, timeoutMs}));
}

/** Pure: what these bytes are. */
export function judgeBeamContent(path: string, {bytes, mtimeMs, size = bytes.byteLength}: FileContent): BeamRead {
	const digest = createHash('md5').update(bytes).digest('hex');
	const fingerprint = `${size}:${mtimeMs}:${digest}`;
	const header = checkBeamHeader(bytes, size);
	if (header.state === 'incomplete') {
		return {state: 'incomplete', expectedSize: header.expectedSize, actualSize: header.actualSize, fingerprint};
	}
	if (header.state === 'invalid') {
		return {state: 'invalid', reason: header.reason, fingerprint};
	}
	try {
		const chunks = readBeamChunks(bytes);
		const snapshot: BeamSnapshot = Object.freeze({
			path,
			size: bytes.byteLength,
			mtimeMs,
			digest,
			module: moduleNameOfChunks(chunks),
			vsn: versionOfChunks(chunks),
			codeMd5: beamCodeMd5(chunks),
		});
		return {state: 'complete', snapshot, fingerprint};
	} catch (error) {
		if (error instanceof ReloaderError) {
			// A whole container with broken contents: garbage of the right length, or a beam no node would load.
			return {state: 'invalid', reason: error.message.replace(/\.$/, ''), fingerprint};
		}
		throw error;
	}
}
