/**
 * Distribution capability flags (kernel's dist.hrl), as bigints: the second
 * 32-bit word (V4_NC) does not fit a JS bitwise operation.
 */
export const DFLAG = Object.freeze({
	PUBLISHED: 0x1n,
	ATOM_CACHE: 0x2n,
	EXTENDED_REFERENCES: 0x4n,
	DIST_MONITOR: 0x8n,
	FUN_TAGS: 0x10n,
	NEW_FUN_TAGS: 0x80n,
	EXTENDED_PIDS_PORTS: 0x100n,
	EXPORT_PTR_TAG: 0x200n,
	BIT_BINARIES: 0x400n,
	NEW_FLOATS: 0x800n,
	DIST_HDR_ATOM_CACHE: 0x2000n,
	SMALL_ATOM_TAGS: 0x4000n,
	UTF8_ATOMS: 0x1_0000n,
	MAP_TAG: 0x2_0000n,
	BIG_CREATION: 0x4_0000n,
	FRAGMENTS: 0x80_0000n,
	HANDSHAKE_23: 0x100_0000n,
	UNLINK_ID: 0x200_0000n,
	MANDATORY_25_DIGEST: 0x400_0000n,
	V4_NC: 0x4n << 32n,
});

/**
 * What we announce. Hidden: no PUBLISHED, so the node neither lists us in
 * `nodes()` nor makes `global` sync with us. No atom cache and no fragments:
 * then every message arrives as plain `'p'` + terms. OTP 25 requires its
 * mandatory set (or MANDATORY_25_DIGEST); OTP 26 also wants UNLINK_ID and V4_NC.
 */
export const CLIENT_FLAGS: bigint = [
	DFLAG.EXTENDED_REFERENCES, DFLAG.DIST_MONITOR, DFLAG.FUN_TAGS, DFLAG.NEW_FUN_TAGS,
	DFLAG.EXTENDED_PIDS_PORTS, DFLAG.EXPORT_PTR_TAG, DFLAG.BIT_BINARIES, DFLAG.NEW_FLOATS,
	DFLAG.SMALL_ATOM_TAGS, DFLAG.UTF8_ATOMS, DFLAG.MAP_TAG, DFLAG.BIG_CREATION,
	DFLAG.HANDSHAKE_23, DFLAG.UNLINK_ID, DFLAG.MANDATORY_25_DIGEST, DFLAG.V4_NC,
].reduce((all, flag) => all | flag, 0n);

/** Names of the flags set in `flags`, for messages: `['EXTENDED_REFERENCES', ..., 'bit 40']`. */
export function describeFlags(flags: bigint): string[] {
	const names: string[] = [];
	for (let bit = 0n; bit < 64n; bit++) {
		const value = 1n << bit;
		if ((flags & value) !== 0n) {
			const known = Object.entries(DFLAG).find(([, flag]) => flag === value);
			names.push(known?.[0] ?? `bit ${bit}`);
		}
	}
	return names;
}
