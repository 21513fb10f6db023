import {setTimeout as delay} from 'node:timers/promises';
import {isRetryable} from '../errors.ts';
import type {ModuleLocation, ModuleState} from '../transports/transport.ts';

/** What a member's disk holds of a module, against the daemon's snapshot. */
export interface DiskMismatch {
	readonly module: string;
	/** The code MD5 of the beam on the member's disk; null when none is readable there. */
	readonly disk: string | null;
	/** The code MD5 of the beam the daemon saw complete. */
	readonly expected: string;
}

/** One member, as disk agreement sees it. */
export interface AgreementMember {
	readonly node: string;
	states(locations: readonly ModuleLocation[], signal?: AbortSignal): Promise<ReadonlyMap<string, ModuleState>>;
}

export interface DiskAgreementOptions<M extends AgreementMember> {
	readonly members: readonly M[];
	/** The batch's beams (the daemon's paths) and the code MD5 the daemon saw in each. */
	readonly expected: ReadonlyMap<string, {readonly location: ModuleLocation; readonly md5: string}>;
	/** How long a member's disk may take to catch up. */
	readonly timeoutMs: number;
	/** How often a lagging disk is asked again. Default: 200 ms. */
	readonly pollMs?: number;
	/** Told once per member and disk state while it is waited for. */
	readonly onWaiting?: (member: M, mismatches: readonly DiskMismatch[], waitedMs: number) => void;
	readonly signal?: AbortSignal;
}

export interface DiskAgreement<M extends AgreementMember> {
	/** Members whose disk holds every beam the daemon saw, with what each said of every module (loaded MD5 too). */
	readonly ready: ReadonlyMap<M, ReadonlyMap<string, ModuleState>>;
	/** Members whose disk did not catch up within the timeout, and how it differs. */
	readonly lagging: ReadonlyMap<M, readonly DiskMismatch[]>;
	/** Members that could not be asked (unreachable), with the error. */
	readonly unreachable: ReadonlyMap<M, unknown>;
	/** What each member that answered said last, of every module (ready or lagging): what it ran, what its disk held. */
	readonly answers: ReadonlyMap<M, ReadonlyMap<string, ModuleState>>;
	readonly waitedMs: number;
}

const DEFAULT_POLL_MS = 200;

/**
 * Before anything is loaded anywhere: every member's own disk must hold, for
 * each module of the batch, the beam the daemon saw complete (same code MD5,
 * as beam_lib:md5 computes it there). A member whose disk differs is asked
 * again every pollMs until it agrees or timeoutMs has passed; a member that
 * cannot be asked is unreachable. Members are asked in parallel.
 */
export async function awaitDiskAgreement<M extends AgreementMember>(options: DiskAgreementOptions<M>): Promise<DiskAgreement<M>> {
	const {expected, timeoutMs, signal} = options;
	const locations = [...expected.values()].map(({location}) => location);
	const start = performance.now();
	const ready = new Map<M, ReadonlyMap<string, ModuleState>>();
	const lagging = new Map<M, readonly DiskMismatch[]>();
	const unreachable = new Map<M, unknown>();
	const lastAnswers = new Map<M, ReadonlyMap<string, ModuleState>>();
	const told = new Map<M, string>();
	let pending = [...options.members];
	for (;;) {
		const answers = await Promise.all(pending.map(async member => {
			try {
				return {member, states: await member.states(locations, signal)};
			} catch (error) {
				if (!isRetryable(error)) {
					throw error;
				}
				return {member, error};
			}
		}));
		const waitedMs = Math.round(performance.now() - start);
		pending = [];
		for (const answer of answers) {
			if ('error' in answer) {
				unreachable.set(answer.member, answer.error);
				lagging.delete(answer.member);
				continue;
			}
			lastAnswers.set(answer.member, answer.states);
			const mismatches = diskMismatches(expected, answer.states);
			if (mismatches.length === 0) {
				ready.set(answer.member, answer.states);
				lagging.delete(answer.member);
				continue;
			}
			lagging.set(answer.member, mismatches);
			pending.push(answer.member);
			const state = JSON.stringify(mismatches);
			if (told.get(answer.member) !== state && waitedMs < timeoutMs) {
				told.set(answer.member, state);
				options.onWaiting?.(answer.member, mismatches, waitedMs);
			}
		}
		const remainingMs = timeoutMs - (performance.now() - start);
		if (pending.length === 0 || remainingMs <= 0) {
			return {ready, lagging, unreachable, answers: lastAnswers, waitedMs};
		}
		await delay(Math.min(options.pollMs ?? DEFAULT_POLL_MS, remainingMs), undefined, {signal});
	}
}

/** Pure: each module whose beam on the member's disk is not the one the daemon saw. */
export function diskMismatches(expected: DiskAgreementOptions<AgreementMember>['expected'], states: ReadonlyMap<string, ModuleState>): DiskMismatch[] {
	return [...expected].flatMap(([module, {md5}]) => {
		const disk = states.get(module)?.diskMd5 ?? null;
		return disk === md5 ? [] : [{module, disk, expected: md5}];
	});
}
