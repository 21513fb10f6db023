import {readFile} from 'node:fs/promises';
import {ReloaderError} from '../errors.ts';
import {unreadable} from './beam-file.ts';
import {readBeamModuleName, readBeamVersion} from './beam-chunks.ts';

export interface BeamFileVersion {
	readonly module: string;
	/** See readBeamVersion: the MD5 in hex by default, undefined without a vsn attribute. */
	readonly vsn: string | undefined;
	readonly size: number;
}

/**
 * Read a complete beam file and return its module name and version, without
 * asking the node: comparing versions tells an identical rebuild from a change.
 */
export async function readBeamFileVersion(path: string): Promise<BeamFileVersion> {
	let bytes: Buffer;
	try {
		bytes = await readFile(path);
	} catch (error) {
		throw unreadable(path, error);
	}
	try {
		return {module: readBeamModuleName(bytes), vsn: readBeamVersion(bytes), size: bytes.byteLength};
	} catch (error) {
		if (error instanceof ReloaderError) {
			throw new ReloaderError(error.code, `${JSON.stringify(path)} (${bytes.byteLength} bytes): ${error.message}`, {
				cause: error,
				retryable: error.retryable,
				hint: error.hint,
			});
		}
		throw error;
	}
}
