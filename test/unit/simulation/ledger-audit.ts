import {keyOf, type LedgerView} from '../../../daemon/ledger/ledger.ts';
import type {DaemonRecord} from '../../../daemon/records.ts';

/**
 * The ledger's invariants, checked after every step of a schedule:
 * - none duplicated: a key is owed once, and held by the running batch once;
 * - a newer snapshot is never replaced by an older one: a key still owed
 *   never goes back in time, and what is owed again of a key in flight is
 *   at least as new as what the batch holds;
 * - no entry lost: a key that is no longer owed is held by the running batch,
 *   or a record since the last step accounts for it (a batch that judged the
 *   module or judged everything, a batch that failed, a beam reported
 *   unreadable);
 * - what a batch deferred (judged mid-write) stays owed until a later
 *   record judges it: the ledger shows all the work still to do;
 * - nothing loaded that the ledger did not hold: told by the fake node of
 *   every load, the running batch must hold the module (or every module), or
 *   the ledger owe it again (a call given up on, carried out late).
 */
export class LedgerAudit {
	readonly #view: () => LedgerView;
	readonly #problems: string[];
	/** What was owed at the last step: key → its snapshot's time and module. */
	#previous = new Map<string, {readonly at: number; readonly module: string}>();
	/** Modules a record since the last step accounts for; `*`: all of them. */
	#accounted = new Set<string>();
	/** Modules a batch deferred (judged mid-write), not judged since: owed until they are. */
	readonly #deferred = new Set<string>();

	constructor(view: () => LedgerView, problems: string[]) {
		this.#view = view;
		this.#problems = problems;
	}

	noteRecord(record: DaemonRecord): void {
		if (record.event === 'batch') {
			const {updated, unchanged, notLoaded, failed, deferred, outOfReach, heldBack, listed} = record;
			for (const module of [...updated, ...unchanged, ...notLoaded, ...failed.map(failure => failure.module), ...deferred, ...outOfReach, ...heldBack, ...listed]) {
				this.#accounted.add(module);
				this.#deferred.delete(module);
			}
			for (const module of deferred) {
				this.#deferred.add(module);
			}
			// A batch of everything (or on one member) answers for whatever it was given.
			this.#accounted.add(`batch:${record.id}`);
		} else if (record.event === 'error') {
			if (record.message.startsWith('Batch ')) {
				this.#accounted.add('*');
			} else if (record.module !== undefined) {
				this.#accounted.add(record.module);
				this.#deferred.delete(record.module);
			}
		}
	}

	/**
	 * The fake node is about to load this module on the daemon's behalf. A
	 * call the daemon gave up on (the node went away, a timeout) may still be
	 * carried out by the node later, as a real node does: its batch has handed
	 * the module back by then, so it is owed again (as `reconnect`, or merged
	 * into a newer write of it that was owed meanwhile).
	 */
	noteLoad(module: string, at: number): void {
		const view = this.#view();
		if (!view.holds(module) && !view.owed().some(entry => entry.module === module)) {
			this.#problems.push(`${at}: ${module} loaded, and the running batch did not hold it (holds ${view.inFlight().map(({module}) => module).join(' ') || 'nothing'}; owes ${view.owed().map(({module, reason, due}) => `${module} (${reason}, due ${due})`).join(' ') || 'nothing'})`);
		}
	}

	check(at: number): void {
		const owed = this.#view().owed();
		const inFlight = this.#view().inFlight();
		const owedKeys = new Map(owed.map(entry => [keyOf(entry), entry]));
		const heldKeys = new Map(inFlight.map(entry => [keyOf(entry), entry]));
		if (owedKeys.size !== owed.length || heldKeys.size !== inFlight.length) {
			this.#problems.push(`${at}: a key is owed or held twice (owed ${owed.map(({module}) => module).join(' ')}; held ${inFlight.map(({module}) => module).join(' ')})`);
		}
		for (const [key, entry] of owedKeys) {
			const before = this.#previous.get(key);
			if (before !== undefined && entry.at < before.at) {
				this.#problems.push(`${at}: ${entry.module} owed at ${entry.at}, older than the ${before.at} it was owed at before`);
			}
			const held = heldKeys.get(key);
			if (held !== undefined && entry.at < held.at) {
				this.#problems.push(`${at}: ${entry.module} owed at ${entry.at} beside its batch's newer ${held.at}`);
			}
		}
		for (const module of this.#deferred) {
			if (![...owedKeys.values(), ...heldKeys.values()].some(entry => entry.module === module)) {
				this.#problems.push(`${at}: ${module} was deferred by a batch and is not owed: the ledger does not show it as work still to do`);
				this.#deferred.delete(module);
			}
		}
		const batchesSince = [...this.#accounted].some(what => what.startsWith('batch:'));
		for (const [key, {module}] of this.#previous) {
			if (!owedKeys.has(key) && !heldKeys.has(key) && !this.#accounted.has(module) && !this.#accounted.has('*') && !(module === '*' && batchesSince)) {
				this.#problems.push(`${at}: ${module} was owed and is no longer, with no batch holding it and no record accounting for it`);
			}
		}
		this.#previous = new Map([...owedKeys].map(([key, {at: entryAt, module}]) => [key, {at: entryAt, module}]));
		this.#accounted = new Set();
	}
}
