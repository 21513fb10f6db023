export {decodeTerm, decodeTermAt, decodeTermBodyAt} from './decode.ts';
export type {DecodedTerm} from './decode.ts';
export {encodeTerm, encodeTermBody} from './encode.ts';
export {formatTerm, DEFAULT_FORMAT_LENGTH} from './format.ts';
export {MAX_DEPTH, MAX_DECOMPRESSED_SIZE} from './limits.ts';
export {describeTag} from './tags.ts';
export {
	Atom, BitBinary, ErlFloat, ErlFun, ErlMap, ImproperList, Pid, Port, Ref, Tuple,
	atom, erlMap, float, isAtom, isInteger, isTuple, tuple,
} from './terms.ts';
export type {Term} from './terms.ts';
export {TermError} from './term-error.ts';
export type {TermErrorCode, TermErrorOptions} from './term-error.ts';
