import {execFile} from 'node:child_process';
import {copyFile, mkdir, mkdtemp, readdir, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {basename, join} from 'node:path';
import {promisify} from 'node:util';
import {resolveConfig} from '../../daemon/config/resolve-config.ts';
import type {UserConfig} from '../../daemon/config/schema.ts';
import {openDaemon} from '../support/open-daemon.ts';
import type {BatchRecord} from '../../daemon/reloader/batch-record.ts';
import type {SandboxNode} from '../../daemon/sandbox/sandbox-node.ts';
import {nodeCall} from '../support/ejabberd.ts';
import {compileGenerated, installBeam} from '../support/fixtures.ts';
import {RecordCollector, isBatch} from '../support/record-collector.ts';
import {waitUntil} from '../support/wait.ts';

export interface BurstResult {
	readonly beamsWritten: number;
	readonly reallyChanged: number;
	readonly batches: number;
	readonly updated: number;
	readonly missed: number;
	readonly spurious: number;
	readonly failed: number;
	/** From the first write to the last batch record. */
	readonly totalMs: number;
	/** How long writing the burst took. */
	readonly writeMs: number;
	/** Modules per batch. */
	readonly batchSizes: readonly number[];
}

/**
 * A `make install`-like burst: every beam of ejabberd's ebin rewritten by GNU
 * `install` (unlink, write) in one separate process, identical except for
 * `changed` loaded modules that really change. Missed: a changed module not updated; spurious:
 * an updated module that did not change.
 */
export async function measureBurst(node: SandboxNode, transport: UserConfig, changed: number): Promise<BurstResult> {
	const modules = Array.from({length: changed}, (_, index) => `burst_${index + 1}`);
	const buildDir = await mkdtemp(join(tmpdir(), 'reloader-burst-'));
	try {
		const v2: string[] = [];
		for (const module of modules) {
			await mkdir(join(buildDir, module));
			await installBeam(await compileGenerated(module, 1, join(buildDir, module)), node.ebinDir);
			await mkdir(join(buildDir, module, 'v2'));
			v2.push(await compileGenerated(module, 2, join(buildDir, module, 'v2')));
		}
		await nodeCall(node, `[code:ensure_loaded(M) || M <- [${modules.join(',')}]]`);
		// The staging dir is what `make` built: identical copies of every other beam, and the 20 new versions.
		const staging = join(buildDir, 'staging');
		await mkdir(staging);
		const unchangedBeams = (await readdir(node.ebinDir)).filter(file => file.endsWith('.beam') && !modules.some(module => file === `${module}.beam`));
		await Promise.all(unchangedBeams.map(async file => copyFile(join(node.ebinDir, file), join(staging, file))));
		await Promise.all(v2.map(async beam => copyFile(beam, join(staging, basename(beam)))));
		const staged = (await readdir(staging)).map(file => join(staging, file));

		const config = resolveConfig({...transport, watch: [node.ebinDir]});
		const records = new RecordCollector();
		const daemon = await openDaemon(config, records.report);
		await daemon.start();
		try {
			const start = performance.now();
			// What `make install` runs: GNU install unlinks each target and writes it, in its own process.
			await promisify(execFile)('install', ['-m', '644', ...staged, node.ebinDir]);
			const writeMs = Math.round(performance.now() - start);
			await waitUntil(() => {
				const status = daemon.status();
				return records.records.some(isBatch) && status.unsettledBeams === 0 && status.pendingChanges === 0 && status.queuedBatches === 0 && status.runningBatches === 0;
			}, 'the burst is processed', 120_000);
			const batches = records.records.filter(isBatch) as BatchRecord[];
			const totalMs = Math.round(performance.now() - start);
			const updated = new Set(batches.flatMap(batch => batch.updated));
			return {
				beamsWritten: staged.length,
				reallyChanged: modules.length,
				batches: batches.length,
				updated: updated.size,
				missed: modules.filter(module => !updated.has(module)).length,
				spurious: [...updated].filter(module => !modules.includes(module)).length,
				failed: batches.reduce((sum, batch) => sum + batch.failed.length, 0),
				totalMs,
				writeMs,
				batchSizes: batches.map(batch => batch.updated.length + batch.unchanged.length + batch.notLoaded.length + batch.failed.length + batch.deferred.length),
			};
		} finally {
			await daemon.close('bench done');
		}
	} finally {
		await rm(buildDir, {recursive: true, force: true});
	}
}
