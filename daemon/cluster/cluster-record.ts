import {classificationOf, type BatchRecord, type FailedModule, type ModuleClassification, type ModuleHolders, type NodeOutcome, type Trigger} from '../reloader/batch-record.ts';
import type {ReloadRequest} from '../reloader/reloader.ts';
import type {ModuleState, NodeVersions, PurgeMode} from '../transports/transport.ts';
import type {DiskMismatch} from './disk-agreement.ts';

/** What became of the batch on one member, before it is summed up. */
export type MemberResult =
	| {readonly state: 'done'; readonly record: BatchRecord}
	| {readonly state: 'lagging'; readonly mismatches: readonly DiskMismatch[]; readonly waitedMs: number}
	| {readonly state: 'unreachable'; readonly reason: string}
	| {readonly state: 'skipped'; readonly reason: string};

/** A member's result, with what it said of each module before anything was loaded (the disk agreement's answers). */
export interface MemberEntry {
	readonly node: string;
	readonly versions: NodeVersions;
	readonly result: MemberResult;
	/** The member's disk: code MD5 per module (null: none readable), from the agreement step. */
	readonly disk: Readonly<Record<string, string | null>>;
	/** What the member ran before the batch: code MD5 per module (null: not loaded), from the agreement step. */
	readonly runningBefore: Readonly<Record<string, string | null>>;
}

export interface ClusterRecordInput {
	readonly id: number;
	readonly trigger: Trigger;
	/** The configured node, whose name the record carries. */
	readonly node: string;
	readonly versions: NodeVersions;
	readonly purge: PurgeMode;
	/** Every module of the batch, in order. */
	readonly modules: readonly string[];
	/** Found half-written by the daemon itself: sent to no member, read again. */
	readonly deferred: readonly string[];
	/** Failed before any member was asked (unusable beam, or one the daemon does not watch). */
	readonly failed: readonly FailedModule[];
	/** Set when nothing was loaded anywhere (a lagging member with onLag: fail): the reason, for every module. */
	readonly halted?: string;
	readonly members: readonly MemberEntry[];
	readonly durations: {readonly waitMs: number; readonly syncMs: number; readonly totalMs: number};
}

/** Worst first: the top-level class of a module is the worst any member gave it. */
const RANK = ['failed', 'outOfReach', 'heldBack', 'deferred', 'updated', 'notLoaded', 'unchanged'] as const;
type ClassName = typeof RANK[number];

/**
 * Pure: one record for a cluster batch. Each member's outcome goes in
 * `nodes`; the top-level classes sum them up (a module is in the worst class
 * any member gave it, a failure names its member), and `ok` holds only when
 * the batch ran on every member and every member runs the new code or needs
 * none.
 */
export function clusterRecord(input: ClusterRecordInput): BatchRecord {
	const outcomes = input.members.map(entry => ({node: entry.node, outcome: nodeOutcome(entry)}));
	const nodes = Object.fromEntries(outcomes.map(({node, outcome}) => [node, outcome]));
	const classes = sumUp(input, outcomes);
	const done = input.members.flatMap(({result}) => result.state === 'done' ? [result.record] : []);
	const killed = done.flatMap(record => record.killed);
	const unpurged = done.some(record => record.unpurged === null) ? null : done.flatMap(record => record.unpurged ?? []);
	return {
		event: 'batch',
		id: input.id,
		trigger: input.trigger,
		node: input.node,
		transport: 'dist',
		versions: input.versions,
		ok: input.halted === undefined && classes.failed.length === 0 && classes.outOfReach.length === 0 && outcomes.every(({outcome}) => outcome.ok),
		purge: input.purge,
		retried: [...new Set(done.flatMap(record => record.retried))],
		listed: [...new Set(done.flatMap(record => record.listed))],
		...classes,
		holders: mergeHolders(done.flatMap(record => record.holders)),
		killed,
		verifiedBy: done.some(record => record.verifiedBy !== 'none') ? 'content' : 'none',
		unpurged,
		...hintOf(done),
		raw: {updateInfo: done.map(record => `${nodeOf(record, input.members)}: ${record.raw.updateInfo}`).join('\n')},
		durations: {
			waitMs: input.durations.waitMs,
			syncMs: input.durations.syncMs,
			updateInfoMs: max(done.map(record => record.durations.updateInfoMs)),
			updateMs: max(done.map(record => record.durations.updateMs)),
			verifyMs: max(done.map(record => record.durations.verifyMs)),
			totalMs: input.durations.totalMs,
		},
		nodes,
	};
}

function nodeOutcome(entry: MemberEntry): NodeOutcome {
	const {result, versions, disk, runningBefore} = entry;
	const empty: ModuleClassification = {updated: [], unchanged: [], notLoaded: [], failed: [], deferred: [], outOfReach: [], heldBack: []};
	switch (result.state) {
		case 'done': {
			const {record} = result;
			return {
				state: 'done',
				ok: record.ok,
				versions,
				...classificationOf(record),
				running: {...runningBefore, ...record.running},
				disk,
				killed: record.killed,
				unpurged: record.unpurged,
				raw: record.raw,
				durations: record.durations,
			};
		}
		case 'lagging': {
			const seconds = `after ${result.waitedMs} ms`;
			return {
				...empty,
				state: 'lagging',
				ok: false,
				reason: `its disk did not hold the daemon's beams ${seconds}`,
				versions,
				failed: result.mismatches.map(({module, disk: md5, expected}) => ({module, reason: `its disk has md5 ${md5 ?? 'none'}, the daemon's beam ${expected} (${seconds}): nothing loaded there`})),
				running: runningBefore,
				disk,
				killed: [],
				unpurged: null,
			};
		}
		case 'unreachable':
		case 'skipped': {
			return {...empty, state: result.state, ok: false, reason: result.reason, versions, running: result.state === 'skipped' ? runningBefore : {}, disk, killed: [], unpurged: null};
		}
	}
}

/** The top-level classes: each module in the worst class any member gave it; a failure per member, naming it. */
function sumUp(input: ClusterRecordInput, outcomes: ReadonlyArray<{node: string; outcome: NodeOutcome}>): ModuleClassification {
	const classes: Record<ClassName, string[]> = {failed: [], outOfReach: [], heldBack: [], deferred: [...input.deferred], updated: [], notLoaded: [], unchanged: []};
	const failed: FailedModule[] = [...input.failed];
	const settled = new Set([...input.deferred, ...input.failed.map(({module}) => module)]);
	for (const module of input.modules) {
		if (settled.has(module)) {
			continue;
		}
		if (input.halted !== undefined) {
			failed.push({module, reason: input.halted});
			continue;
		}
		let worst: ClassName | undefined;
		for (const {node, outcome} of outcomes) {
			const found = classOf(outcome, module);
			if (found === undefined && outcome.state !== 'done') {
				failed.push({module, node, reason: `not loaded on ${node}: ${outcome.reason ?? outcome.state}`});
				worst = 'failed';
				continue;
			}
			if (found === 'failed') {
				for (const failure of outcome.failed.filter(entry => entry.module === module)) {
					failed.push({...failure, node, reason: `on ${node}: ${failure.reason}`});
				}
			}
			if (found !== undefined && (worst === undefined || RANK.indexOf(found) < RANK.indexOf(worst))) {
				worst = found;
			}
		}
		if (worst !== undefined && worst !== 'failed') {
			classes[worst].push(module);
		}
	}
	return {updated: classes.updated, unchanged: classes.unchanged, notLoaded: classes.notLoaded, failed, deferred: classes.deferred, outOfReach: classes.outOfReach, heldBack: classes.heldBack};
}

function classOf(outcome: NodeOutcome, module: string): ClassName | undefined {
	return RANK.find(name => name === 'failed' ? outcome.failed.some(entry => entry.module === module) : outcome[name].includes(module));
}

/** Holders of one module on several members, as one entry with every process (their pids name their node). */
function mergeHolders(holders: readonly ModuleHolders[]): ModuleHolders[] {
	const byModule = new Map<string, ModuleHolders['processes'][number][]>();
	for (const {module, processes} of holders) {
		byModule.set(module, [...(byModule.get(module) ?? []), ...processes]);
	}
	return [...byModule].map(([module, processes]) => ({module, processes}));
}

function hintOf(done: readonly BatchRecord[]): {hint?: string} {
	const hints = [...new Set(done.flatMap(record => record.hint === undefined ? [] : [record.hint]))];
	return hints.length === 0 ? {} : {hint: hints.join(' ')};
}

function nodeOf(record: BatchRecord, members: readonly MemberEntry[]): string {
	return members.find(({result}) => result.state === 'done' && result.record === record)?.node ?? record.node;
}

function max(values: readonly number[]): number {
	return values.length === 0 ? 0 : Math.max(...values);
}

/** A member's entry, from what it said at the disk agreement (undefined: it was not asked, or did not answer). */
export function memberEntry(node: string, versions: NodeVersions, result: MemberResult, states: ReadonlyMap<string, ModuleState> | undefined): MemberEntry {
	const known = [...(states ?? new Map<string, ModuleState>())];
	return {
		node,
		versions,
		result,
		disk: Object.fromEntries(known.map(([module, state]) => [module, state.diskMd5 ?? null])),
		runningBefore: Object.fromEntries(known.map(([module, state]) => [module, state.loaded ? state.loadedMd5 ?? null : null])),
	};
}

/** A member whose batch failed outright (a command the node refused): every module failed there, with the reason. */
export function failedRecord(request: Pick<ReloadRequest, 'id' | 'trigger' | 'changes'>, member: Pick<BatchRecord, 'node' | 'transport' | 'versions'>, reason: string, purge: BatchRecord['purge']): BatchRecord {
	const modules = request.changes?.map(({module}) => module) ?? [];
	return {
		event: 'batch',
		id: request.id,
		trigger: request.trigger,
		...member,
		ok: false,
		purge,
		retried: [],
		listed: [],
		updated: [],
		unchanged: [],
		notLoaded: [],
		failed: modules.map(module => ({module, reason})),
		deferred: [],
		outOfReach: [],
		heldBack: [],
		holders: [],
		killed: [],
		verifiedBy: 'none',
		unpurged: null,
		raw: {updateInfo: ''},
		durations: {waitMs: 0, updateInfoMs: 0, updateMs: 0, verifyMs: 0, totalMs: 0},
	};
}
