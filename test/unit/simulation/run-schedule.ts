import {beamReader} from '../../../daemon/beam/beam-snapshot.ts';
import {resolveConfig} from '../../../daemon/config/resolve-config.ts';
import type {ResolvedConfig} from '../../../daemon/config/schema.ts';
import {Daemon} from '../../../daemon/daemon.ts';
import {BeamIndex} from '../../../daemon/modules/beam-index.ts';
import type {DaemonRecord} from '../../../daemon/records.ts';
import type {BatchRecord} from '../../../daemon/reloader/batch-record.ts';
import {syntheticBeam} from '../../support/synthetic-beam.ts';
import {FakeDisk} from './fake-disk.ts';
import {FakeNode, wholeBeam} from './fake-node.ts';
import {FakeNodeTransport} from './fake-node-transport.ts';
import {fakeWatcher} from './fake-watcher.ts';
import {between, seededRandom} from '../../support/seeded-random.ts';
import {drawParameters, drawWriteKind, type ScheduleParameters, type WriteKind} from './schedule.ts';
import {LedgerAudit} from './ledger-audit.ts';
import {SimClock} from './sim-clock.ts';

const EBIN = '/ebin';
/** Turns of the simulation loop after which a schedule that never goes quiet counts as stuck. */
const MAX_STEPS = 200_000;

export interface ScheduleResult {
	readonly seed: number;
	readonly parameters: ScheduleParameters;
	/**
	 * Once the pipeline is quiet: a loaded module that does not run the
	 * complete beam on disk, or a module whose complete beam on disk the daemon
	 * never judged (its index does not hold that code: a change to a module the
	 * node has not loaded went nowhere).
	 */
	readonly lost: string[];
	/** A loaded module running code that was never a complete beam. */
	readonly partial: string[];
	/**
	 * A module a batch called updated though its code did not change in that
	 * batch. With list verification (ctl, http) one is excused only when the
	 * daemon could not know (see `excused`).
	 */
	readonly spurious: string[];
	/**
	 * What WritesDuringBatch.deferRaced promises, broken: a module of a batch
	 * with changes reported updated (list verification) or failed (any)
	 * although a watcher event for its beam reached the daemon while the batch
	 * ran: it must be deferred and read again.
	 */
	readonly raced: string[];
	/**
	 * Spurious updates under list verification that the daemon cannot tell
	 * from real ones: no event for the beam reached it while the batch ran (a
	 * late, dropped or not yet sent one), or an `all` batch (no changes of its
	 * own to defer). Counted, not failed: a later batch must still load the
	 * beam, which `lost` checks.
	 */
	readonly excused: string[];
	/** Work left in the pipeline (or timers still running) once nothing else can happen. */
	readonly stuck: string[];
	/** A broken invariant of the daemon's ledger (see LedgerAudit), checked after every step. */
	readonly ledger: string[];
	readonly batches: number;
	readonly writes: number;
	/** Writes whose last event the watcher dropped (every earlier one may be dropped too): the directory sweep's to find. */
	readonly droppedFinals: number;
	/** What happened, in order; filled only when asked for (a replay). */
	readonly trace: string[];
}

const configs = new Map<string, ResolvedConfig>();
const beams = new Map<string, Buffer>();

/** Versions repeat across schedules (each counts from 0): build each beam once. */
function beamOf(module: string, version: number): Buffer {
	const key = `${module}@${version}`;
	let beam = beams.get(key);
	if (beam === undefined) {
		beam = syntheticBeam(module, version);
		beams.set(key, beam);
	}
	return beam;
}

function configFor(parameters: ScheduleParameters): ResolvedConfig {
	const key = `${parameters.flavor}:${parameters.debounceMs}:${parameters.maxWaitMs}:${parameters.incompleteTimeoutMs}:${parameters.purge}`;
	let config = configs.get(key);
	if (config === undefined) {
		config = resolveConfig({
			transport: parameters.flavor === 'content' ? 'dist' : 'ctl',
			node: 'sim@localhost',
			watch: [EBIN],
			debounceMs: parameters.debounceMs,
			maxWaitMs: parameters.maxWaitMs,
			incompleteTimeoutMs: parameters.incompleteTimeoutMs,
			purge: parameters.purge,
			purgeRetryMs: 500,
		});
		configs.set(key, config);
	}
	return config;
}

/** One turn of the event loop: every promise continuation queued so far has run. */
function turn(): Promise<void> {
	return new Promise(resolve => {
		setImmediate(resolve);
	});
}

/**
 * One schedule: the real Daemon (settler, batcher, queue, reloader, node
 * session) over a fake disk, watcher and node in simulated time. Rounds of
 * random beam writes and node outages; after each, once the pipeline is quiet,
 * every loaded module must run the complete beam on disk.
 */
export interface ScheduleOptions {
	/** Keep a readable account of what happened (for a replay). */
	readonly trace?: boolean;
	/** A node that loads nothing on update: the checks must then find lost changes. */
	readonly brokenNode?: boolean;
}

export async function runSchedule(seed: number, options: ScheduleOptions = {}): Promise<ScheduleResult> {
	const random = seededRandom(seed);
	const parameters = drawParameters(random);
	const trace: string[] = [];
	const clock = new SimClock();
	// Lines are built only for a replay: a schedule run for its verdict alone builds none.
	const log = options.trace === true ? (line: () => string) => trace.push(`${String(clock.now()).padStart(6)} ${line()}`) : () => undefined;
	const disk = new FakeDisk(clock, parameters.mtimeStepMs);
	const node = new FakeNode(disk, EBIN, () => clock.now(), random, {ignoresUpdates: options.brokenNode});
	const transport = new FakeNodeTransport(node, clock, random, {flavor: parameters.flavor, ...parameters.transport});
	const result = {seed, parameters, lost: [] as string[], partial: [] as string[], spurious: [] as string[], raced: [] as string[], excused: [] as string[], stuck: [] as string[], ledger: [] as string[], batches: 0, writes: 0, droppedFinals: 0, trace};

	// Every complete beam ever written per module, and the last one.
	const complete = new Map<string, Set<string>>();
	const lastComplete = new Map<string, Buffer>();
	/** The mtime the last complete beam was written with, for a rewrite that keeps it (`install -p`). */
	const lastCompleteMtime = new Map<string, number>();
	let version = 0;
	const noteComplete = (module: string, bytes: Buffer) => {
		const beam = wholeBeam(node.pathOf(module), module, bytes);
		if (beam !== undefined) {
			complete.get(module)?.add(beam.codeMd5);
			lastComplete.set(module, bytes);
			lastCompleteMtime.set(module, disk.get(node.pathOf(module))?.mtimeMs ?? 0);
		}
	};

	const index = new BeamIndex();
	/** The code each module's beam held at start: what the daemon knows of it until a batch judges it. */
	const initialMd5 = new Map<string, string | undefined>();
	for (const module of parameters.modules) {
		complete.set(module, new Set());
		const bytes = beamOf(module, version++);
		disk.write(node.pathOf(module), bytes, true);
		noteComplete(module, bytes);
		index.noteVersion(module, node.pathOf(module), node.beamOnDisk(module)?.vsn);
		initialMd5.set(module, node.beamOnDisk(module)?.codeMd5);
	}
	node.loadFromDisk(parameters.modules.filter(() => random() < 0.9));

	/**
	 * Beams whose watcher event reached the daemon while a batch ran past its
	 * init step: what the daemon counts as written during the batch (its mark
	 * is taken right after the init step, and nothing but promise
	 * continuations runs in between). A batch that ends without a record
	 * (handed back, failed) or an init step starts it afresh.
	 */
	const writtenDuringBatch = new Set<string>();
	/** Batches of `update all` requests: no changes of their own, so nothing of theirs can be deferred. */
	const allBatches = new Set<number>();
	/** Findings that depend on whether their batch was an `all` one: judged at the round's check, once every request has its answer. */
	const undecided: Array<{readonly id: number; readonly ifAll: 'excused' | undefined; readonly otherwise: 'spurious' | 'raced' | 'excused'; readonly what: string}> = [];
	const judgeBatch = (record: BatchRecord) => {
		const list = record.verifiedBy === 'list';
		for (const module of record.updated) {
			const raced = writtenDuringBatch.has(node.pathOf(module));
			const what = `${module} (batch ${record.id})`;
			if (!node.changedByDaemon.has(module)) {
				undecided.push({id: record.id, ifAll: list ? 'excused' : undefined, otherwise: list ? (raced ? 'raced' : 'excused') : 'spurious', what: `${what}: updated, its code unchanged`});
			} else if (list && raced) {
				undecided.push({id: record.id, ifAll: undefined, otherwise: 'raced', what: `${what}: updated, verified by the list, its beam written while the batch ran`});
			}
		}
		for (const {module, reason} of record.failed) {
			if (writtenDuringBatch.has(node.pathOf(module))) {
				undecided.push({id: record.id, ifAll: undefined, otherwise: 'raced', what: `${module} (batch ${record.id}): failed (${reason}), its beam written while the batch ran`});
			}
		}
	};
	const decide = () => {
		for (const {id, ifAll, otherwise, what} of undecided.splice(0)) {
			const kind = allBatches.has(id) ? ifAll : otherwise;
			if (kind !== undefined) {
				result[kind].push(what);
			}
		}
	};
	// The daemon's ledger is read only once the daemon exists (the first check and load come after that).
	const audit = new LedgerAudit(() => daemon.ledger, result.ledger);
	const report = (record: DaemonRecord) => {
		audit.noteRecord(record);
		if (record.event === 'batch') {
			result.batches++;
			judgeBatch(record);
			writtenDuringBatch.clear();
			node.changedByDaemon.clear();
			log(() => `batch ${record.id}: updated [${record.updated.join(' ')}] unchanged [${record.unchanged.join(' ')}] notLoaded [${record.notLoaded.join(' ')}] deferred [${record.deferred.join(' ')}] heldBack [${record.heldBack.join(' ')}] failed [${record.failed.map(failure => `${failure.module}: ${failure.reason}`).join('; ')}] listed [${record.listed.join(' ')}]`);
		} else if (record.event === 'error') {
			if (record.message.startsWith('Batch ')) {
				writtenDuringBatch.clear();
			}
			log(() => `${record.severity} ${record.code}: ${record.message}`);
		} else if (record.event === 'node' || record.event === 'init') {
			if (record.event === 'init') {
				writtenDuringBatch.clear();
			}
			log(() => (record.event === 'node' ? `node ${record.state}` : `init (pending ${record.pending.join(' ')})`));
		}
	};
	const daemon = new Daemon({
		config: configFor(parameters),
		transport,
		directories: [EBIN],
		index,
		report,
		clock,
		readBeam: beamReader(disk.reader(() => (random() < parameters.slowReadRate ? between(random, 1, 10) : 0))),
		createWatcher: fakeWatcher(disk, clock, random, parameters.watcher, {
			onDeliver: path => {
				const status = daemon.status();
				if (status.runningBatches > 0 && status.connected) {
					writtenDuringBatch.add(path);
				}
			},
			onDropFinal: path => {
				result.droppedFinals++;
				log(() => `watcher drops the last event of ${path}`);
			},
		}),
		// A fake disk holds no FIFOs, and real I/O would make a schedule nondeterministic.
		findScanHazards: async () => [],
		listBeams: disk.lister(),
		sweepMs: parameters.sweepMs,
	});
	node.onLoadByDaemon = module => audit.noteLoad(module, clock.now());

	/**
	 * Quiet: nothing can happen any more but the directory sweep's next look,
	 * which will find nothing. That is: no timer at all, or (while the sweep
	 * runs) one timer, due one interval after the last look, and that look
	 * came after the disk's last change (so a write whose every event was
	 * dropped has been handed on). Work the pipeline still holds then is
	 * stuck, which the round's check reports.
	 */
	const isQuiet = (sweeping: boolean): boolean => clock.pendingTimers === 0
		|| (sweeping && clock.soleTimerAt() === disk.lastListingAt + parameters.sweepMs && disk.changesAtLastListing === disk.changes);
	/** Run until quiet (see isQuiet); `sweeping`: false once the daemon is closing, when every timer must run out. */
	const runUntilQuiet = async (sweeping = true): Promise<boolean> => {
		for (let step = 0; step < MAX_STEPS; step++) {
			await turn();
			audit.check(clock.now());
			if (clock.pendingTimers <= 1) {
				// A second turn: whatever the first one's promises set going has run too.
				await turn();
				if (isQuiet(sweeping)) {
					return true;
				}
			}
			clock.fireNext();
		}
		return false;
	};

	/** Steps of one write operation, one after the other, each after a short gap. */
	const steps = (module: string, list: readonly (() => void)[]) => {
		const run = (index: number) => {
			list[index]?.();
			if (index + 1 < list.length) {
				clock.setTimer(() => run(index + 1), between(random, 0, 10));
			}
		};
		run(0);
		void module;
	};
	const write = (module: string, kind: WriteKind) => {
		result.writes++;
		const path = node.pathOf(module);
		const fresh = beamOf(module, version++);
		const install = (bytes: Buffer, upTo = bytes.length, keepMtime?: number) => {
			const cuts = Array.from({length: between(random, 0, 2)}, () => between(random, 0, upTo)).sort((a, b) => a - b);
			steps(module, [
				() => disk.unlink(path),
				...[0, ...cuts].map(cut => () => disk.write(path, bytes.subarray(0, Math.min(cut, upTo)), false)),
				() => {
					// The whole buffer itself when whole: its identity is what the judged-beam cache keys on.
					disk.write(path, upTo === bytes.length ? bytes : bytes.subarray(0, upTo), true, keepMtime);
					if (upTo === bytes.length) {
						noteComplete(module, bytes);
					}
				},
			]);
		};
		log(() => `write ${module} ${kind}${kind === 'install' || kind === 'rename' || kind === 'overwrite' ? ` v${version - 1}` : ''}`);
		switch (kind) {
			case 'install': {
				install(fresh);
				break;
			}
			case 'truncated': {
				install(fresh, between(random, 0, fresh.length - 1));
				break;
			}
			case 'garbage': {
				const noise = Buffer.from(Array.from({length: between(random, 0, 200)}, () => between(random, 0, 255)));
				// Half of it with a whole FOR1 container around it: complete by its header, broken inside.
				const bytes = random() < 0.5 ? Buffer.concat([Buffer.from('FOR1'), u32(noise.length + 4), Buffer.from('BEAM'), noise]) : noise;
				steps(module, [() => disk.unlink(path), () => disk.write(path, bytes, true)]);
				break;
			}
			case 'identical': {
				const same = lastComplete.get(module) ?? fresh;
				install(same, same.length, random() < parameters.preserveMtimeRate ? lastCompleteMtime.get(module) : undefined);
				break;
			}
			case 'rename': {
				steps(module, [() => {
					disk.write(path, fresh, true);
					noteComplete(module, fresh);
				}]);
				break;
			}
			case 'overwrite': {
				steps(module, [() => disk.write(path, Buffer.alloc(0), false), () => {
					disk.write(path, fresh, true);
					noteComplete(module, fresh);
				}]);
				break;
			}
		}
	};

	const started = daemon.start();
	let startError: unknown;
	started.catch((error: unknown) => {
		startError = error;
	});
	if (!await runUntilQuiet()) {
		result.stuck.push('start did not finish');
	}
	await started.catch(() => undefined);
	if (startError !== undefined) {
		result.stuck.push(`start failed: ${String(startError)}`);
	}

	for (let round = 1; round <= parameters.rounds && result.stuck.length === 0; round++) {
		log(() => `round ${round}`);
		for (let op = between(random, 1, 5); op > 0; op--) {
			const module = parameters.modules[between(random, 0, parameters.modules.length - 1)] ?? 'mod_0';
			const kind = drawWriteKind(random);
			clock.setTimer(() => write(module, kind), between(random, 0, 400));
		}
		if (random() < parameters.requestRate) {
			// An API call in the middle of it all: update everything update_info lists, or one module by name.
			const module = parameters.modules[between(random, 0, parameters.modules.length - 1)] ?? 'mod_0';
			const everything = random() < 0.5;
			clock.setTimer(() => {
				log(() => (everything ? 'request: update all' : `request: update ${module}`));
				(everything ? daemon.reconcile('api').then(record => allBatches.add(record.id)) : daemon.update([module], 'api')).catch(() => undefined);
			}, between(random, 0, 400));
		}
		if (random() < parameters.outageRate) {
			const restart = random() < parameters.restartRate;
			const loadAfter = random() < 0.7 ? between(random, 0, 500) : undefined;
			const start = between(random, 0, 400);
			const duration = between(random, 50, 3000);
			clock.setTimer(() => {
				log(() => `node down${restart ? ' (restarts)' : ''}`);
				node.goDown();
			}, start);
			clock.setTimer(() => {
				node.comeUp(restart);
				log(() => `node up (incarnation ${node.incarnation})`);
				if (restart && loadAfter !== undefined) {
					clock.setTimer(() => {
						node.loadFromDisk(parameters.modules);
						log(() => `node loads from disk: ${[...node.loaded.keys()].join(' ')}`);
					}, loadAfter);
				}
			}, start + duration);
		}
		if (!await runUntilQuiet()) {
			result.stuck.push(`round ${round} never went quiet`);
			break;
		}
		check(round);
	}

	function check(round: number): void {
		decide();
		const status = daemon.status();
		for (const key of ['unsettledBeams', 'pendingChanges', 'queuedBatches', 'runningBatches'] as const) {
			if (status[key] !== 0) {
				result.stuck.push(`round ${round}: ${key} ${status[key]}`);
			}
		}
		for (const module of parameters.modules) {
			const onDisk = node.beamOnDisk(module);
			const judged = index.get(module)?.codeMd5 ?? initialMd5.get(module);
			if (onDisk !== undefined && judged !== onDisk.codeMd5) {
				result.lost.push(`round ${round}: ${module}${node.loaded.has(module) ? '' : ' (not loaded)'}: the complete beam on disk (${onDisk.codeMd5.slice(0, 8)}) was never judged by a batch (the index holds ${judged?.slice(0, 8) ?? 'nothing'})`);
			}
			const running = node.loaded.get(module);
			if (running === undefined) {
				continue;
			}
			if (complete.get(module)?.has(running.codeMd5) !== true) {
				result.partial.push(`round ${round}: ${module} runs ${running.codeMd5}, never a complete beam`);
			}
			if (onDisk !== undefined && onDisk.codeMd5 !== running.codeMd5) {
				result.lost.push(`round ${round}: ${module} runs ${running.codeMd5.slice(0, 8)}, the complete beam on disk is ${onDisk.codeMd5.slice(0, 8)}`);
			}
		}
		log(() => `check round ${round}: loaded ${[...node.loaded].map(([module, code]) => `${module}=${code.codeMd5.slice(0, 8)}`).join(' ')}; disk ${parameters.modules.map(module => `${module}=${node.beamOnDisk(module)?.codeMd5.slice(0, 8) ?? 'broken'}`).join(' ')}`);
	}

	const closed = daemon.close('simulation done');
	await runUntilQuiet(false);
	await closed;
	decide();
	return result;
}

function u32(value: number): Buffer {
	const buffer = Buffer.alloc(4);
	buffer.writeUInt32BE(value);
	return buffer;
}
