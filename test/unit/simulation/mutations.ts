/**
 * The guards of the pipeline that the simulation must catch broken, and how
 * to break each: one exact piece of source text replaced (mutation-check.ts
 * runs the simulation on each). When the code moves on and a search text is
 * gone, find where the guard lives now and update its row: do not drop it.
 * A guard listed here is one whose breaking fails the simulation; one that
 * does not (yet) belongs in the note of the change that found it, not here.
 */

export interface Mutation {
	/** What the mutation turns off, as the table prints it. */
	readonly name: string;
	/** Relative to the repository's root. */
	readonly file: string;
	/** Exact text, found exactly once in `file`. */
	readonly search: string;
	readonly replace: string;
}

/** Appends `added` after `line` (a line found exactly once): the usual way to turn a function off with an early return. */
function after(name: string, file: string, line: string, added: string): Mutation {
	return {name, file, search: line, replace: `${line}\n${added}`};
}

export const MUTATIONS: readonly Mutation[] = [
	after(
		'resettle off (nothing read again or forgotten after a batch)',
		'daemon/reloader/writes-during-batch.ts',
		'	resettle(record: BatchRecord, beams: readonly BatchBeam[], mark: number, byContent: boolean): Resettle {',
		'		return {recheck: [], forget: []};',
	),
	{
		name: 'settler forgets nothing on recheck',
		file: 'daemon/watcher/beam-settler.ts',
		search: '	recheck(path: string): void {\n		this.forget(path);\n',
		replace: '	recheck(path: string): void {\n',
	},
	{
		name: 'a superseded module is reported updated, not deferred',
		file: 'daemon/reloader/classify-modules.ts',
		search: '			} else if (failure === SUPERSEDED) {\n				result.deferred.push(module);',
		replace: '			} else if (failure === SUPERSEDED) {\n				result.updated.push(module);',
	},
	after(
		'deferRaced returns the record unchanged',
		'daemon/reloader/writes-during-batch.ts',
		'	deferRaced(record: BatchRecord, changes: readonly BatchBeam[] | undefined, mark: number): BatchRecord {',
		'		return record;',
	),
	{
		name: 'deferRaced leaves a failed module failed',
		file: 'daemon/reloader/writes-during-batch.ts',
		search: 'const failedRaced = new Set(written.filter(module => record.failed.some(failure => failure.module === module)));',
		replace: 'const failedRaced = new Set<string>();',
	},
	{
		name: 'directory sweep off (it looks, but reports nothing)',
		file: 'daemon/watcher/directory-sweep.ts',
		search: '						this.#options.onChanged(beam);',
		replace: '						void beam;',
	},
	{
		name: 'a new beam of a module the node has not loaded is not noted (judged by nothing)',
		file: 'daemon/reloader/reloader.ts',
		search: '		for (const module of [...classes.updated, ...classes.unchanged, ...classes.notLoaded]) {',
		replace: '		for (const module of [...classes.updated, ...classes.unchanged]) {',
	},
	{
		name: 'ledger: an older snapshot replaces a newer one',
		file: 'daemon/ledger/ledger.ts',
		search: '		if (owed !== undefined && owed.at > work.at) {\n			return false;\n		}\n',
		replace: '',
	},
	after(
		'ledger: a batch that could not reach the node hands nothing back',
		'daemon/ledger/follow-ups.ts',
		'export function handedBack(held: readonly LedgerEntry[], due: number): OwedAgain[] {',
		'	return [];',
	),
	{
		name: 'ledger: a module held back by purge: soft is not tried again',
		file: 'daemon/ledger/follow-ups.ts',
		search: '	return {...resettle, owed: [...reread, ...held]};',
		replace: '	return {...resettle, owed: reread};',
	},
	{
		name: 'ledger: a beam judged mid-write is read again but not owed meanwhile',
		file: 'daemon/ledger/follow-ups.ts',
		search: '	return {...resettle, owed: [...reread, ...held]};',
		replace: '	return {...resettle, owed: held};',
	},
	{
		name: 'ledger: a request\'s batch loads modules it does not hold',
		file: 'daemon/daemon.ts',
		search: '			this.#work.ledger.hold(own);\n',
		replace: '',
	},
	{
		name: 'ledger: the quiet window never closes',
		file: 'daemon/ledger/work-schedule.ts',
		search: '		if (closesAt !== undefined && closesAt <= now) {',
		replace: '		if (closesAt !== undefined && closesAt < 0) {',
	},
];

/** The source with the mutation applied; throws, naming the file, when its search text is not there exactly once. */
export function applyMutation(mutation: Mutation, source: string): string {
	const found = source.split(mutation.search).length - 1;
	if (found !== 1) {
		throw new Error(found === 0 ? `search text not found in ${mutation.file} (guard: ${mutation.name})` : `search text found ${found} times in ${mutation.file}, expected once (guard: ${mutation.name})`);
	}
	return source.replace(mutation.search, () => mutation.replace);
}
