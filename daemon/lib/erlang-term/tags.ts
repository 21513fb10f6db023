/**
 * Tag bytes of the Erlang External Term Format, as listed in the ERTS user's
 * guide ("External Term Format"). Only the tags this codec knows are named.
 */
export const VERSION = 131;

export const NEW_FLOAT_EXT = 70;
export const BIT_BINARY_EXT = 77;
export const COMPRESSED = 80;
export const ATOM_CACHE_REF = 82;
export const NEW_PID_EXT = 88;
export const NEW_PORT_EXT = 89;
export const NEWER_REFERENCE_EXT = 90;
export const SMALL_INTEGER_EXT = 97;
export const INTEGER_EXT = 98;
export const FLOAT_EXT = 99;
export const ATOM_EXT = 100;
export const REFERENCE_EXT = 101;
export const PORT_EXT = 102;
export const PID_EXT = 103;
export const SMALL_TUPLE_EXT = 104;
export const LARGE_TUPLE_EXT = 105;
export const NIL_EXT = 106;
export const STRING_EXT = 107;
export const LIST_EXT = 108;
export const BINARY_EXT = 109;
export const SMALL_BIG_EXT = 110;
export const LARGE_BIG_EXT = 111;
export const NEW_FUN_EXT = 112;
export const EXPORT_EXT = 113;
export const NEW_REFERENCE_EXT = 114;
export const SMALL_ATOM_EXT = 115;
export const MAP_EXT = 116;
export const ATOM_UTF8_EXT = 118;
export const SMALL_ATOM_UTF8_EXT = 119;
export const V4_PORT_EXT = 120;
export const LOCAL_EXT = 121;

const TAG_NAMES: ReadonlyMap<number, string> = new Map([
	[VERSION, 'VERSION'],
	[NEW_FLOAT_EXT, 'NEW_FLOAT_EXT'],
	[BIT_BINARY_EXT, 'BIT_BINARY_EXT'],
	[COMPRESSED, 'COMPRESSED'],
	[ATOM_CACHE_REF, 'ATOM_CACHE_REF'],
	[NEW_PID_EXT, 'NEW_PID_EXT'],
	[NEW_PORT_EXT, 'NEW_PORT_EXT'],
	[NEWER_REFERENCE_EXT, 'NEWER_REFERENCE_EXT'],
	[SMALL_INTEGER_EXT, 'SMALL_INTEGER_EXT'],
	[INTEGER_EXT, 'INTEGER_EXT'],
	[FLOAT_EXT, 'FLOAT_EXT'],
	[ATOM_EXT, 'ATOM_EXT'],
	[REFERENCE_EXT, 'REFERENCE_EXT'],
	[PORT_EXT, 'PORT_EXT'],
	[PID_EXT, 'PID_EXT'],
	[SMALL_TUPLE_EXT, 'SMALL_TUPLE_EXT'],
	[LARGE_TUPLE_EXT, 'LARGE_TUPLE_EXT'],
	[NIL_EXT, 'NIL_EXT'],
	[STRING_EXT, 'STRING_EXT'],
	[LIST_EXT, 'LIST_EXT'],
	[BINARY_EXT, 'BINARY_EXT'],
	[SMALL_BIG_EXT, 'SMALL_BIG_EXT'],
	[LARGE_BIG_EXT, 'LARGE_BIG_EXT'],
	[NEW_FUN_EXT, 'NEW_FUN_EXT'],
	[EXPORT_EXT, 'EXPORT_EXT'],
	[NEW_REFERENCE_EXT, 'NEW_REFERENCE_EXT'],
	[SMALL_ATOM_EXT, 'SMALL_ATOM_EXT'],
	[MAP_EXT, 'MAP_EXT'],
	[ATOM_UTF8_EXT, 'ATOM_UTF8_EXT'],
	[SMALL_ATOM_UTF8_EXT, 'SMALL_ATOM_UTF8_EXT'],
	[V4_PORT_EXT, 'V4_PORT_EXT'],
	[LOCAL_EXT, 'LOCAL_EXT'],
]);

/** `LIST_EXT (108)`, or `unknown tag 3` for a byte that is not a tag. */
export function describeTag(tag: number): string {
	const name = TAG_NAMES.get(tag);
	return name === undefined ? `unknown tag ${tag}` : `${name} (${tag})`;
}
