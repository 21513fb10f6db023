import {execFile} from 'node:child_process';
import {watch} from 'node:fs';
import {copyFile, mkdir, mkdtemp, readdir, rm, writeFile} from 'node:fs/promises';
import {loadavg, tmpdir} from 'node:os';
import {basename, join} from 'node:path';
import {promisify} from 'node:util';
import {resolveConfig} from '../../daemon/config/resolve-config.ts';
import type {UserConfig} from '../../daemon/config/schema.ts';
import {openDaemon} from '../support/open-daemon.ts';
import type {BatchRecord} from '../../daemon/reloader/batch-record.ts';
import type {SandboxNode} from '../../daemon/sandbox/sandbox-node.ts';
import {nodeCall} from '../support/ejabberd.ts';
import {compileGenerated, installBeam} from '../support/fixtures.ts';
import {RecordCollector, batchWith, isBatch} from '../support/record-collector.ts';
import {waitUntil} from '../support/wait.ts';
import {summarize, type Summary} from './stats.ts';

/**
 * How the burst is written. `install`: one GNU `install` process for every
 * beam. `make`: one `install -m 644 BEAM DEST` process per beam, run by make
 * one after the other, as ejabberd's own Makefile does (its COPY_template
 * makes one rule per file): hundreds of processes, so a busy host stretches
 * the gaps between them, and the burst lasts longer.
 */
export type BurstWriter = 'install' | 'make';

export interface BurstRound {
	readonly writer: BurstWriter;
	readonly batches: number;
	/**
	 * Of those, batches that only offered again modules an earlier batch of
	 * the round already held (none of them updated): not a split of the
	 * burst by the quiet window, but the same beams handed on a second time.
	 */
	readonly reoffered: number;
	readonly updated: number;
	readonly missed: number;
	readonly spurious: number;
	readonly failed: number;
	/** Modules per batch. */
	readonly batchSizes: readonly number[];
	/** Per batch: when its record came (ms from the start of the write), its trigger, and how many of its modules were unchanged. */
	readonly batchLog: readonly string[];
	/** How long writing the burst took (the writer's process(es), start to exit). */
	readonly writeMs: number;
	/** From the first write to the last batch record. */
	readonly totalMs: number;
	/** Raw directory events this process saw during the round: their span, and the longest gap between two of them. */
	readonly eventSpanMs: number;
	readonly longestEventGapMs: number;
	/** The 1-minute load average when the round started. */
	readonly load: number;
}

export interface BurstResult {
	readonly beamsWritten: number;
	readonly reallyChanged: number;
	readonly debounceMs: number;
	readonly maxWaitMs: number;
	readonly rounds: readonly BurstRound[];
	/**
	 * Lone saves (one beam installed, nothing else written) after the bursts:
	 * the batch's wait (`durations.waitMs`, first change to the start of its
	 * work) minus `debounceMs`, i.e. what the quiet window and the queue add to
	 * a single save beyond the debounce.
	 */
	readonly singleSaveAddedMs: Summary;
}

export interface BurstOptions {
	readonly changed: number;
	/** Rounds per writer; each round really changes the `changed` modules again (v1 ↔ v2). */
	readonly rounds: number;
	readonly writers: readonly BurstWriter[];
	readonly singleSaves: number;
	readonly debounceMs: number;
	readonly maxWaitMs: number;
}

/**
 * A `make install`-like burst: every beam of ejabberd's ebin rewritten by GNU
 * `install` (unlink, write), identical except for `changed` loaded modules
 * that really change. Missed: a changed module not updated; spurious: an
 * updated module that did not change. The target is one batch per burst.
 */
export async function measureBurst(node: SandboxNode, transport: UserConfig, options: BurstOptions): Promise<BurstResult> {
	const modules = Array.from({length: options.changed}, (_, index) => `burst_${index + 1}`);
	const buildDir = await mkdtemp(join(tmpdir(), 'reloader-burst-'));
	try {
		const versions: [string[], string[]] = [[], []];
		for (const module of modules) {
			for (const [index, built] of versions.entries()) {
				const dir = join(buildDir, module, `v${index + 1}`);
				await mkdir(dir, {recursive: true});
				built.push(await compileGenerated(module, index + 1, dir));
			}
		}
		await Promise.all(versions[0].map(async beam => installBeam(beam, node.ebinDir)));
		await nodeCall(node, `[code:ensure_loaded(M) || M <- [${modules.join(',')}]]`);
		// Each staging dir is what `make` built: identical copies of every other beam, and one version of the changed ones.
		const unchangedBeams = (await readdir(node.ebinDir)).filter(file => file.endsWith('.beam') && !modules.some(module => file === `${module}.beam`));
		const staged: [string[], string[]] = [[], []];
		for (const version of [0, 1] as const) {
			const staging = join(buildDir, `staging-v${version + 1}`);
			await mkdir(staging);
			await Promise.all(unchangedBeams.map(async file => copyFile(join(node.ebinDir, file), join(staging, file))));
			await Promise.all(versions[version].map(async beam => copyFile(beam, join(staging, basename(beam)))));
			staged[version] = (await readdir(staging)).map(file => join(staging, file));
		}

		const config = resolveConfig({...transport, watch: [node.ebinDir], debounceMs: options.debounceMs, maxWaitMs: options.maxWaitMs});
		const records = new RecordCollector();
		const daemon = await openDaemon(config, records.report);
		await daemon.start();
		const idle = () => {
			const status = daemon.status();
			return status.unsettledBeams === 0 && status.pendingChanges === 0 && status.queuedBatches === 0 && status.runningBatches === 0;
		};
		try {
			const rounds: BurstRound[] = [];
			let installed = 0;
			for (const writer of options.writers) {
				for (let round = 0; round < options.rounds; round++) {
					installed = 1 - installed;
					const makefile = join(buildDir, `Makefile-v${installed + 1}`);
					await writeFile(makefile, makefileFor(staged[installed as 0 | 1], node.ebinDir));
					rounds.push(await measureRound(writer, staged[installed as 0 | 1], makefile));
				}
			}
			const added: number[] = [];
			for (let save = 0; save < options.singleSaves; save++) {
				installed = 1 - installed;
				const since = records.mark();
				await installBeam(versions[installed as 0 | 1][0] ?? '', node.ebinDir);
				const batch = await records.waitFor(batchWith(modules[0] ?? ''), {since});
				added.push(batch.durations.waitMs - options.debounceMs);
				await waitUntil(idle, 'the single save is processed');
			}
			return {
				beamsWritten: staged[0].length,
				reallyChanged: modules.length,
				debounceMs: options.debounceMs,
				maxWaitMs: options.maxWaitMs,
				rounds,
				singleSaveAddedMs: summarize(added),
			};
		} finally {
			await daemon.close('bench done');
		}

		async function measureRound(writer: BurstWriter, beams: readonly string[], makefile: string): Promise<BurstRound> {
			const since = records.mark();
			const events: number[] = [];
			const watcher = watch(node.ebinDir, () => events.push(performance.now()));
			const load = Math.round((loadavg()[0] ?? 0) * 100) / 100;
			const start = performance.now();
			try {
				await (writer === 'install'
					? promisify(execFile)('install', ['-m', '644', ...beams, node.ebinDir])
					: promisify(execFile)('make', ['-s', '-f', makefile], {maxBuffer: 1 << 20}));
				const writeMs = Math.round(performance.now() - start);
				const batchesNow = () => records.records.slice(since).filter(isBatch) as BatchRecord[];
				const seenAt = new Map<BatchRecord, number>();
				const stamp = () => {
					for (const batch of batchesNow()) {
						if (!seenAt.has(batch)) {
							seenAt.set(batch, Math.round(performance.now() - start));
						}
					}
				};
				const updatedNow = () => new Set(batchesNow().flatMap(batch => batch.updated));
				// Every changed module updated (or, if one is missed, a generous while), and nothing left in flight.
				const giveUp = performance.now() + 30_000;
				await waitUntil(() => {
					stamp();
					return idle() && batchesNow().length > 0 && (modules.every(module => updatedNow().has(module)) || performance.now() > giveUp);
				}, `the ${writer} burst is processed`, 120_000);
				const totalMs = Math.round(performance.now() - start);
				const batches = batchesNow();
				const updated = updatedNow();
				const reoffered = batches.filter((batch, index) => {
					const earlier = new Set(batches.slice(0, index).flatMap(batchModulesOf));
					return index > 0 && batch.updated.length === 0 && batchModulesOf(batch).every(module => earlier.has(module));
				}).length;
				const gaps = events.slice(1).map((at, index) => at - (events[index] ?? at));
				return {
					writer,
					batches: batches.length,
					reoffered,
					updated: updated.size,
					missed: modules.filter(module => !updated.has(module)).length,
					spurious: [...updated].filter(module => !modules.includes(module)).length,
					failed: batches.reduce((sum, batch) => sum + batch.failed.length, 0),
					batchSizes: batches.map(batch => batchModulesOf(batch).length),
					batchLog: batches.map(batch => `~${seenAt.get(batch) ?? '?'} ms ${batch.trigger} (${batch.unchanged.length} unchanged, waitMs ${batch.durations.waitMs})`),
					writeMs,
					totalMs,
					eventSpanMs: Math.round((events.at(-1) ?? 0) - (events[0] ?? 0)),
					longestEventGapMs: Math.round(Math.max(0, ...gaps)),
					load,
				};
			} finally {
				watcher.close();
			}
		}
	} finally {
		await rm(buildDir, {recursive: true, force: true});
	}
}

function batchModulesOf(batch: BatchRecord): string[] {
	return [...batch.updated, ...batch.unchanged, ...batch.notLoaded, ...batch.failed.map(failed => failed.module), ...batch.deferred];
}

/** One rule per beam, `install -m 644 BEAM DEST/`, as ejabberd's Makefile writes them (one process each). */
function makefileFor(beams: readonly string[], ebinDir: string): string {
	const targets = beams.map((_, index) => `beam${index}`);
	return [
		`.PHONY: all ${targets.join(' ')}`,
		`all: ${targets.join(' ')}`,
		...beams.map((beam, index) => `${targets[index]}:\n\tinstall -m 644 ${beam} ${ebinDir}/`),
		'',
	].join('\n');
}
