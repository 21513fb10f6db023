import {beamReader} from '../../../daemon/beam/beam-snapshot.ts';
import {resolveConfig} from '../../../daemon/config/resolve-config.ts';
import type {ResolvedConfig} from '../../../daemon/config/schema.ts';
import {Daemon} from '../../../daemon/daemon.ts';
import {BeamIndex} from '../../../daemon/modules/beam-index.ts';
import type {DaemonRecord} from '../../../daemon/records.ts';
import {syntheticBeam} from '../../support/synthetic-beam.ts';
import {FakeDisk} from './fake-disk.ts';
import {FakeNode, wholeBeam} from './fake-node.ts';
import {FakeNodeTransport} from './fake-node-transport.ts';
import {fakeWatcher} from './fake-watcher.ts';
import {between, seededRandom} from '../../support/seeded-random.ts';
import {drawParameters, drawWriteKind, type ScheduleParameters, type WriteKind} from './schedule.ts';
import {SimClock} from './sim-clock.ts';

const EBIN = '/ebin';
/** Turns of the simulation loop after which a schedule that never goes quiet counts as stuck. */
const MAX_STEPS = 200_000;

export interface ScheduleResult {
	readonly seed: number;
	readonly parameters: ScheduleParameters;
	/** A loaded module that does not run the complete beam on disk once the pipeline is quiet. */
	readonly lost: string[];
	/** A loaded module running code that was never a complete beam. */
	readonly partial: string[];
	/** A module a batch called updated though its code did not change in that batch. */
	readonly spurious: string[];
	/** Work left in the pipeline (or timers still running) once nothing else can happen. */
	readonly stuck: string[];
	readonly batches: number;
	readonly writes: number;
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
	const result = {seed, parameters, lost: [] as string[], partial: [] as string[], spurious: [] as string[], stuck: [] as string[], batches: 0, writes: 0, trace};

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
	for (const module of parameters.modules) {
		complete.set(module, new Set());
		const bytes = beamOf(module, version++);
		disk.write(node.pathOf(module), bytes, true);
		noteComplete(module, bytes);
		index.noteVersion(module, node.pathOf(module), node.beamOnDisk(module)?.vsn);
	}
	node.loadFromDisk(parameters.modules.filter(() => random() < 0.9));

	const report = (record: DaemonRecord) => {
		if (record.event === 'batch') {
			result.batches++;
			for (const module of record.updated) {
				if (!node.changedByDaemon.has(module)) {
					result.spurious.push(`${module} (batch ${record.id})`);
				}
			}
			node.changedByDaemon.clear();
			log(() => `batch ${record.id}: updated [${record.updated.join(' ')}] unchanged [${record.unchanged.join(' ')}] notLoaded [${record.notLoaded.join(' ')}] deferred [${record.deferred.join(' ')}] heldBack [${record.heldBack.join(' ')}] failed [${record.failed.map(failure => `${failure.module}: ${failure.reason}`).join('; ')}] listed [${record.listed.join(' ')}]`);
		} else if (record.event === 'error') {
			log(() => `${record.severity} ${record.code}: ${record.message}`);
		} else if (record.event === 'node' || record.event === 'init') {
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
		createWatcher: fakeWatcher(disk, clock, random, parameters.watcher),
		// A fake disk holds no FIFOs, and real I/O would make a schedule nondeterministic.
		findScanHazards: async () => [],
	});

	/** Run until no timer is left and nothing moves. */
	const runUntilQuiet = async (): Promise<boolean> => {
		for (let step = 0; step < MAX_STEPS; step++) {
			await turn();
			if (!clock.fireNext()) {
				await turn();
				if (clock.pendingTimers === 0) {
					return true;
				}
			}
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
				(everything ? daemon.reconcile('api') : daemon.update([module], 'api')).catch(() => undefined);
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
		const status = daemon.status();
		for (const key of ['unsettledBeams', 'pendingChanges', 'queuedBatches', 'runningBatches'] as const) {
			if (status[key] !== 0) {
				result.stuck.push(`round ${round}: ${key} ${status[key]}`);
			}
		}
		for (const module of parameters.modules) {
			const running = node.loaded.get(module);
			if (running === undefined) {
				continue;
			}
			if (complete.get(module)?.has(running.codeMd5) !== true) {
				result.partial.push(`round ${round}: ${module} runs ${running.codeMd5}, never a complete beam`);
			}
			const onDisk = node.beamOnDisk(module);
			if (onDisk !== undefined && onDisk.codeMd5 !== running.codeMd5) {
				result.lost.push(`round ${round}: ${module} runs ${running.codeMd5.slice(0, 8)}, the complete beam on disk is ${onDisk.codeMd5.slice(0, 8)}`);
			}
		}
		log(() => `check round ${round}: loaded ${[...node.loaded].map(([module, code]) => `${module}=${code.codeMd5.slice(0, 8)}`).join(' ')}; disk ${parameters.modules.map(module => `${module}=${node.beamOnDisk(module)?.codeMd5.slice(0, 8) ?? 'broken'}`).join(' ')}`);
	}

	const closed = daemon.close('simulation done');
	await runUntilQuiet();
	await closed;
	return result;
}

function u32(value: number): Buffer {
	const buffer = Buffer.alloc(4);
	buffer.writeUInt32BE(value);
	return buffer;
}
