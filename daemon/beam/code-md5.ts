import {createHash} from 'node:crypto';
import {ReloaderError} from '../errors.ts';

/**
 * The chunks `beam_lib:md5/1` hashes, in the order it hashes them (OTP 25's
 * `md5_chunks/0`; OTP 27 appends `Meta`, which older compilers never write, so
 * listing it changes nothing for their beams). Missing ones are skipped, except
 * the mandatory ones, without which beam_lib refuses the file.
 */
const MD5_CHUNKS = ['Atom', 'AtU8', 'Code', 'StrT', 'ImpT', 'ExpT', 'FunT', 'LitT', 'Meta'] as const;
const MANDATORY_CHUNKS = new Set(['Code', 'ExpT', 'ImpT', 'StrT']);
/** A `FunT` entry is six u32: function, arity, label, index, free variables, old uniq. */
const FUN_ENTRY_SIZE = 24;
const OLD_UNIQ_OFFSET = 20;

/**
 * The MD5 of a beam's code as `beam_lib:md5/1` computes it, and as the node
 * reports it for loaded code (`M:module_info(md5)`): the significant chunks'
 * data (no headers, no padding) one after the other, with each `FunT` entry's
 * old uniq zeroed (it depends on the compiler run, not on the code). Lowercase hex.
 */
export function beamCodeMd5(chunks: ReadonlyMap<string, Buffer>): string {
	const hash = createHash('md5');
	for (const id of MD5_CHUNKS) {
		const data = chunks.get(id);
		if (data === undefined) {
			if (MANDATORY_CHUNKS.has(id)) {
				throw new ReloaderError('ERR_BEAM_INVALID', `The beam has no "${id}" chunk, which every loadable beam has (found ${[...chunks.keys()].join(', ')}).`, {
					hint: 'Rebuild the module; a beam that erlc wrote completely never fails this check.',
				});
			}
			continue;
		}
		hash.update(id === 'FunT' ? withoutOldUniq(data) : data);
	}
	return hash.digest('hex');
}

/** `FunT` as beam_lib hashes it: the count, then each whole entry with its last word zeroed; a trailing partial entry as it is. */
function withoutOldUniq(funTable: Buffer): Buffer {
	if (funTable.byteLength < 4) {
		return funTable;
	}
	const copy = Buffer.from(funTable);
	for (let entry = 4; entry + FUN_ENTRY_SIZE <= copy.byteLength; entry += FUN_ENTRY_SIZE) {
		copy.writeUInt32BE(0, entry + OLD_UNIQ_OFFSET);
	}
	return copy;
}
