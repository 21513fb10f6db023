import {readdir} from 'node:fs/promises';
import type {SlowCall} from '../call-gate.ts';

/** The lane of ejabberd_update's calls: update_info/0 and update/1 both read every beam of the directory. */
export const SCAN_LANE = 'ejabberd_update';

/** How many `*.beam` entries `directory` holds; undefined when it cannot be read from here. */
export async function countBeams(directory: string | undefined): Promise<number | undefined> {
	if (directory === undefined) {
		return undefined;
	}
	try {
		return (await readdir(directory)).filter(name => name.endsWith('.beam')).length;
	} catch {
		return undefined;
	}
}

/** The warning for a slow scan: the call, the time so far, the ebin's size, and that the node is up. */
export function describeSlowCall(node: string, slow: SlowCall, directory: string | undefined, beams: number | undefined): string {
	const where = directory === undefined ? 'the node\'s ebin' : directory;
	const size = beams === undefined ? `${where} (its size unknown here)` : `${where} holds ${beams} beams, and ejabberd_update reads every one`;
	const before = slow.lastMs === undefined ? '' : ` (the last one took ${Math.round(slow.lastMs)} ms)`;
	return `${slow.call} on ${node} is slow, not down: no answer after ${slow.elapsedMs} ms${before}; ${size}. The node answers a liveness check (erlang:node/0), so it is waited for, up to ${slow.waitUpToMs} ms in all, and no other scan is started meanwhile.`;
}
