import type {BeamSettler} from './beam-settler.ts';

export interface UnsettledStatus {
	readonly unsettledBeams: number;
	/** How long the beam waited on longest has been unsettled, in ms; undefined when none is. */
	readonly oldestUnsettledMs: number | undefined;
	/**
	 * Beams unsettled for longer than incompleteTimeoutMs: after it a
	 * half-written beam is given up, so one still waited on is a read that
	 * cannot finish or a descriptor shortage (retried until read).
	 */
	readonly stuckBeams: ReadonlyArray<{readonly path: string; readonly unsettledMs: number}>;
}

/** Since when beams wait to settle, and which wait past `incompleteTimeoutMs`. */
export function unsettledStatus(settler: BeamSettler, now: number, incompleteTimeoutMs: number): UnsettledStatus {
	const unsettled = settler.unsettled();
	const oldest = unsettled[0];
	return {
		unsettledBeams: unsettled.length,
		oldestUnsettledMs: oldest === undefined ? undefined : now - oldest.since,
		stuckBeams: unsettled.filter(({since}) => now - since > incompleteTimeoutMs).map(({path, since}) => ({path, unsettledMs: now - since})),
	};
}
