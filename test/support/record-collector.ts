import type {DaemonRecord} from '../../daemon/records.ts';
import {describeWitnesses} from './witness.ts';

type Predicate<T extends DaemonRecord> = (record: DaemonRecord) => record is T;

/**
 * Collects a daemon's records and lets a test wait for one, with a generous
 * limit and a message that shows what did arrive. Waiting starts from a mark,
 * so an earlier record of the same kind cannot satisfy a later expectation.
 */
export class RecordCollector {
	readonly records: DaemonRecord[] = [];
	readonly #waiters = new Set<() => void>();

	readonly report = (record: DaemonRecord): void => {
		this.records.push(record);
		for (const wake of this.#waiters) {
			wake();
		}
	};

	/** The position to wait from: records after it count. */
	mark(): number {
		return this.records.length;
	}

	async waitFor<T extends DaemonRecord>(predicate: Predicate<T> | ((record: DaemonRecord) => boolean), options: {since?: number; timeoutMs?: number; what?: string} = {}): Promise<T> {
		const since = options.since ?? 0;
		const timeoutMs = options.timeoutMs ?? 60_000;
		const find = () => this.records.slice(since).find(record => predicate(record)) as T | undefined;
		const found = find();
		if (found !== undefined) {
			return found;
		}
		return new Promise((resolve, reject) => {
			const wake = () => {
				const record = find();
				if (record !== undefined) {
					clearTimeout(timer);
					this.#waiters.delete(wake);
					resolve(record);
				}
			};
			const timer = setTimeout(() => {
				this.#waiters.delete(wake);
				reject(new Error(`No ${options.what ?? 'matching record'} within ${timeoutMs} ms; got: ${JSON.stringify(this.records.slice(since), null, 1)}${describeWitnesses(() => true, {lines: false})}`));
			}, timeoutMs);
			this.#waiters.add(wake);
		});
	}

	after(since: number): DaemonRecord[] {
		return this.records.slice(since);
	}
}

export const isBatch = (record: DaemonRecord): record is Extract<DaemonRecord, {event: 'batch'}> => record.event === 'batch';
export const isProblem = (record: DaemonRecord): record is Extract<DaemonRecord, {event: 'error'}> => record.event === 'error';
export const isInit = (record: DaemonRecord): record is Extract<DaemonRecord, {event: 'init'}> => record.event === 'init';

/** A batch record that contains the module in any class. */
/** A batch about `module`; `settled`: one that did not defer it (a deferred module is re-checked by a later batch). */
export function batchWith(module: string, options: {readonly settled?: boolean} = {}) {
	return (record: DaemonRecord): record is Extract<DaemonRecord, {event: 'batch'}> => isBatch(record)
		&& [...record.updated, ...record.unchanged, ...record.notLoaded, ...record.failed.map(failure => failure.module), ...(options.settled === true ? [] : record.deferred), ...record.outOfReach, ...record.heldBack].includes(module);
}
export const isSyncRecord = (record: DaemonRecord): record is Extract<DaemonRecord, {event: 'sync'}> => record.event === 'sync';
