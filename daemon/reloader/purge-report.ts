import type {HeldProcess, TransportKind} from '../transports/transport.ts';
import type {KilledRecord, ModuleHolders} from './batch-record.ts';

/** A module `purge: soft` held back for too long: failed, with who held it and how to force it. */
export interface PurgeTimeout {
	readonly reason: string;
	readonly hint: string;
	readonly holders: readonly HeldProcess[];
}

/** One process as people know it: its registered name, else what it was started in and what it runs now. */
export function describeProcess(process: HeldProcess): string {
	if (process.name !== undefined) {
		return `${process.name} ${process.pid}`;
	}
	const started = process.initialCall === undefined ? '' : ` started in ${process.initialCall}`;
	const running = process.currentFunction === undefined ? '' : ` running ${process.currentFunction}`;
	return `${process.pid}${started}${running}`;
}

/** Pure. */
export function purgeTimeoutFailure(module: string, holders: readonly HeldProcess[], heldMs: number): PurgeTimeout {
	return {
		reason: `held back for ${Math.round(heldMs / 1000)} s (purgeSoftTimeoutMs) by ${holders.length} process(es) still running its old code: ${holders.map(describeProcess).join('; ')}; the new code was NOT loaded`,
		hint: `Stop those processes, or force the update (they will be killed): POST /update-modules {"modules": ["${module}"], "purge": "brutal"}.`,
		holders,
	};
}

/** One warning record per module whose update killed processes (ejabberd itself logs nothing). Pure. */
export function killedRecords(batch: number, node: string, killed: readonly ModuleHolders[]): KilledRecord[] {
	return killed.map(({module, processes}) => ({
		event: 'killed',
		batch,
		node,
		module,
		processes,
		hint: `These processes still ran the old code of ${module} when it was updated again, and ejabberd's brutal purge killed them; restart what they did. To be told before it happens, see \`unpurged\` in the batch record; to hold such updates back instead, set purge: soft (dist).`,
	}));
}

/** Which transport or setting would load what this one could not reach. Pure. */
export function outOfReachHint(modules: readonly string[], kind: TransportKind, reach: string | undefined): string {
	const where = reach === undefined ? 'the one directory ejabberd_update scans' : `${reach}, the one directory ejabberd_update scans`;
	const how = kind === 'dist'
		? 'set loadNew: true if the node never loaded it'
		: 'use transport: dist (with the node\'s cookieFile), which loads such beams directly';
	return `NOT loaded: ${modules.join(', ')} changed outside ${where}, and the ${kind} transport cannot load a beam from elsewhere: ${how}, or install the beam into that directory.`;
}
