export {DEFAULT_SLICE_MS, decodeTerm, decodeTermAt, decodeTermAtInSlices, decodeTermBodyAt, runSteps, runStepsInSlices} from './decode.ts';
export {DecodeBudget, TERMS_PER_STEP} from './decode-budget.ts';
export type {DecodeLimits} from './decode-budget.ts';
export type {DecodeSteps} from './decode-term.ts';
export type {DecodedTerm} from './decode.ts';
export {encodeTerm, encodeTermBody} from './encode.ts';
export {formatTerm, DEFAULT_FORMAT_LENGTH} from './format.ts';
export {DEFAULT_MAX_INFLATED_BYTES, DEFAULT_MAX_TERMS, MAX_DEPTH, MAX_DECOMPRESSED_SIZE} from './limits.ts';
export {describeTag} from './tags.ts';
export {
	Atom, BitBinary, ErlFloat, ErlFun, ErlMap, ImproperList, Pid, Port, Ref, Tuple,
	atom, erlMap, float, isAtom, isInteger, isTuple, tuple,
} from './terms.ts';
export type {Term} from './terms.ts';
export {TermError} from './term-error.ts';
export type {TermErrorCode, TermErrorOptions} from './term-error.ts';
