/** Deeper nesting is refused (decode and encode) rather than risking the stack. */
export const MAX_DEPTH = 1000;
/** A compressed term declaring a larger uncompressed size is refused before inflating. */
export const MAX_DECOMPRESSED_SIZE = 64 * 1024 * 1024;
/** Default limits of one decode (see DecodeBudget): at most a few hundred MB of JS values. */
export const DEFAULT_MAX_TERMS = 1_000_000;
export const DEFAULT_MAX_INFLATED_BYTES = MAX_DECOMPRESSED_SIZE;
/**
 * Far beyond any real integer (about 157,000 decimal digits). Converting the
 * digits cannot pause: 16 MiB took 200 ms, 64 KiB takes under a millisecond.
 */
export const MAX_BIG_BYTES = 64 * 1024;
/** Erlang's own limits. */
export const MAX_ATOM_CHARACTERS = 255;
export const MAX_REF_IDS = 5;
