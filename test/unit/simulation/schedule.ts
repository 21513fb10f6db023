import type {Flavor} from './fake-node-transport.ts';
import type {FakeWatcherOptions} from './fake-watcher.ts';
import {between, pick} from '../../support/seeded-random.ts';

export type WriteKind = 'install' | 'truncated' | 'garbage' | 'identical' | 'rename' | 'overwrite';

/** Everything a schedule varies, drawn from its seed. */
export interface ScheduleParameters {
	readonly flavor: Flavor;
	readonly modules: readonly string[];
	readonly rounds: number;
	readonly debounceMs: number;
	readonly maxWaitMs: number;
	readonly incompleteTimeoutMs: number;
	/** What the fake watcher does to events: see FakeWatcherOptions (drops, the last write's included; repeats; delays, which reorder). */
	readonly watcher: FakeWatcherOptions;
	/** The directory sweep's interval: what finds a write whose every event was dropped. */
	readonly sweepMs: number;
	readonly transport: {readonly slowRate: number; readonly slowMs: number; readonly timeoutRate: number};
	/** Most reads take no simulated time; this share takes up to 10 ms. */
	readonly slowReadRate: number;
	/** Mtime granularity (1 ms, or 1 s as on coarse file systems), and the chance that a rewrite keeps the old mtime (`install -p`). */
	readonly mtimeStepMs: number;
	readonly preserveMtimeRate: number;
	/** `soft` (dist only) holds a module back while processes run its old code, and retries. */
	readonly purge: 'brutal' | 'soft';
	/** Per round: the chance of an API request (update all, or one module by name). */
	readonly requestRate: number;
	/** Per round: the chance of a node outage, and that an outage ends in a restart. */
	readonly outageRate: number;
	readonly restartRate: number;
}

const WRITE_KINDS: readonly WriteKind[] = ['install', 'install', 'install', 'truncated', 'garbage', 'identical', 'identical', 'rename', 'rename', 'overwrite'];

export function drawParameters(random: () => number): ScheduleParameters {
	const debounceMs = pick(random, [0, 20, 100, 300]);
	const flavor: Flavor = random() < 0.7 ? 'content' : 'list';
	const parameters = {
		flavor,
		modules: Array.from({length: between(random, 1, 4)}, (_, index) => `mod_${index}`),
		rounds: between(random, 2, 5),
		debounceMs,
		maxWaitMs: Math.max(debounceMs, pick(random, [0, 500, 3000])),
		incompleteTimeoutMs: pick(random, [100, 500, 2000]),
		watcher: {
			dropRate: pick(random, [0, 0.3, 0.8]),
			// 1: no operation's last write is ever reported; the sweep alone finds them.
			dropFinalRate: pick(random, [0, 0, 0.1, 0.5, 1]),
			duplicateRate: pick(random, [0, 0.2]),
			maxDelayMs: pick(random, [0, 30, 200]),
			lateRate: pick(random, [0, 0, 0.1]),
			lateMs: pick(random, [1000, 5000]),
		},
		sweepMs: pick(random, [250, 1000, 5000]),
		transport: {slowRate: pick(random, [0, 0.1, 0.3]), slowMs: pick(random, [200, 3000]), timeoutRate: 0},
		slowReadRate: pick(random, [0, 0.2]),
		mtimeStepMs: pick(random, [1, 1, 1000]),
		preserveMtimeRate: pick(random, [0, 0, 0.5]),
		requestRate: pick(random, [0, 0, 0.5]),
		purge: flavor === 'content' && random() < 0.3 ? 'soft' as const : 'brutal' as const,
		outageRate: pick(random, [0, 0.3, 0.6]),
		restartRate: pick(random, [0, 0.5, 1]),
	};
	return {...parameters, transport: {...parameters.transport, timeoutRate: pick(random, [0, 0, 0.05])}};
}

export function drawWriteKind(random: () => number): WriteKind {
	return pick(random, WRITE_KINDS);
}
