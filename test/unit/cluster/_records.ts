import {clusterRecord, type ClusterRecordInput, type MemberEntry, type MemberResult} from '../../../daemon/cluster/cluster-record.ts';
import type {BatchRecord} from '../../../daemon/reloader/batch-record.ts';

/** MD5s that read as what they stand for. */
export const OLD = 'a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1';
export const NEW = 'b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2';

/** One member's own batch record, as its Reloader returns it: ok, nothing in any class unless given. */
export function memberRecord(node: string, overrides: Partial<BatchRecord> = {}): BatchRecord {
	return {
		event: 'batch', id: 12, trigger: 'watch', node, transport: 'dist', versions: {ejabberd: '24.12'}, ok: true, purge: 'brutal',
		retried: [], listed: [], updated: [], unchanged: [], notLoaded: [], failed: [], deferred: [], outOfReach: [], heldBack: [],
		holders: [], killed: [], verifiedBy: 'content', unpurged: [], raw: {updateInfo: `[] on ${node}`},
		durations: {waitMs: 0, updateInfoMs: 2, updateMs: 3, verifyMs: 1, totalMs: 6},
		...overrides,
	};
}

/** A member's entry; before the batch it ran OLD of each module and its disk held NEW, unless said otherwise. */
export function entry(node: string, result: MemberResult, modules: readonly string[] = ['mod_x'], overrides: Partial<MemberEntry> = {}): MemberEntry {
	return {
		node,
		versions: {ejabberd: '24.12'},
		result,
		disk: Object.fromEntries(modules.map(module => [module, NEW])),
		runningBefore: Object.fromEntries(modules.map(module => [module, OLD])),
		...overrides,
	};
}

/** A done member that now runs NEW of every module given. */
export function updatedOn(node: string, modules: readonly string[] = ['mod_x']): MemberEntry {
	return entry(node, {state: 'done', record: memberRecord(node, {updated: [...modules], running: Object.fromEntries(modules.map(module => [module, NEW]))})}, modules);
}

/** clusterRecord over these members, for a batch of `modules` (mod_x alone unless given). */
export function record(members: readonly MemberEntry[], overrides: Partial<ClusterRecordInput> = {}): BatchRecord {
	return clusterRecord({
		id: 12,
		trigger: 'watch',
		node: 'a@h1',
		versions: {ejabberd: '24.12'},
		purge: 'brutal',
		modules: ['mod_x'],
		deferred: [],
		failed: [],
		members,
		durations: {waitMs: 300, syncMs: 40, totalMs: 55},
		...overrides,
	});
}
