import {execFile} from 'node:child_process';
import {mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {dirname, join} from 'node:path';
import {promisify} from 'node:util';
import {resolveConfig} from '../../daemon/config/resolve-config.ts';
import type {UserConfig} from '../../daemon/config/schema.ts';
import type {DaemonRecord} from '../../daemon/records.ts';
import type {SandboxNode} from '../../daemon/sandbox/sandbox-node.ts';
import type {CompileRecord} from '../../daemon/sources/compile-record.ts';
import {nodeCall} from '../support/ejabberd.ts';
import {openDaemon} from '../support/open-daemon.ts';
import {RecordCollector, batchWith} from '../support/record-collector.ts';
import {summarize, type Summary} from './stats.ts';

const run = promisify(execFile);

export interface SaveLatency {
	/** From the save (the source fully written) to the batch record that verified the new code loaded. */
	readonly total: Summary;
	/** The compile of the module itself (erlc: a VM boots each time; the node's compiler: none). */
	readonly compile: Summary;
	/** Everything but the compile, the quiet window and the batch's own work: detecting the save, reading it, writing the beam, handing it on. */
	readonly overhead: Summary;
	/** The batch's work on the node (update_info, update, verify). */
	readonly batch: Summary;
	readonly debounceMs: number;
	readonly compiler: string;
}

/** A module whose `version()` says which save it is. */
function source(module: string, version: number): string {
	return `-module(${module}).\n-export([version/0]).\nversion() -> ${version}.\n`;
}

/**
 * Save a loaded module's source `runs` times with the daemon attached
 * (`sources` into the node's ebin); each sample runs from the end of the
 * write to the batch record that verified the new code. The new code is
 * checked to answer, outside the timing.
 */
export async function measureSaveLatency(node: SandboxNode, transport: UserConfig, runs: number, debounceMs: number): Promise<SaveLatency> {
	const module = 'bench_save';
	// Inside the node's own directory: the node's compiler reads the source there (a 0700 temp dir it could not).
	const dir = join(node.sourcesDir, 'bench-save');
	await mkdir(dir);
	const path = join(dir, `${module}.erl`);
	const config = resolveConfig({...transport, watch: [node.ebinDir], sources: [{dir, ebin: node.ebinDir}], debounceMs, maxWaitMs: Math.max(3000, debounceMs)});
	const records = new RecordCollector();
	const daemon = await openDaemon(config, records.report);
	const samples = {total: [] as number[], compile: [] as number[], overhead: [] as number[], batch: [] as number[]};
	let compiler = '';
	try {
		await daemon.start();
		for (let version = 0; version <= runs; version++) {
			const since = records.mark();
			await writeFile(path, source(module, version));
			const saved = performance.now();
			const batch = await records.waitFor(batchWith(module, {settled: true}), {since, timeoutMs: 120_000});
			const total = performance.now() - saved;
			const round = records.after(since).find((record: DaemonRecord): record is CompileRecord => record.event === 'compile');
			if (version === 0) {
				// The first save brings the module in; load it, then time the saves of a loaded module.
				await nodeCall(node, `code:ensure_loaded(${module})`);
				continue;
			}
			if (!batch.updated.includes(module) || round === undefined) {
				throw new Error(`Save ${version}: ${module} was not updated: ${JSON.stringify(batch)}`);
			}
			const answer = await nodeCall(node, `${module}:version()`);
			if (answer !== String(version)) {
				throw new Error(`Save ${version}: the node answers ${answer}`);
			}
			compiler = round.compiler;
			const compileMs = round.modules[0]?.compileMs ?? 0;
			const batchMs = batch.durations.updateInfoMs + batch.durations.updateMs + batch.durations.verifyMs;
			samples.total.push(total);
			samples.compile.push(compileMs);
			samples.batch.push(batchMs);
			samples.overhead.push(total - compileMs - debounceMs - batchMs);
		}
	} finally {
		await daemon.close('bench done');
		await rm(dir, {recursive: true, force: true});
	}
	return {total: summarize(samples.total), compile: summarize(samples.compile), overhead: summarize(samples.overhead), batch: summarize(samples.batch), debounceMs, compiler};
}

/**
 * The same change by hand: erlc with the flags that compile an ejabberd
 * module (those the sandbox prints), then `ejabberdctl update_list` and
 * `ejabberdctl update M`, timed as one.
 */
export async function measureSaveByHand(node: SandboxNode, runs: number): Promise<Summary> {
	const module = 'bench_save_by_hand';
	const dir = await mkdtemp(join(tmpdir(), 'reloader-bench-hand-'));
	const path = join(dir, `${module}.erl`);
	const [program = 'ejabberdctl', ...prefix] = node.ctlCommand;
	const erlc = ['-pa', node.ebinDir, '-I', join(dirname(node.ebinDir), 'include'), '-o', node.ebinDir, path];
	const env = {...process.env, ERL_LIBS: node.depsDir};
	const samples: number[] = [];
	try {
		for (let version = 0; version <= runs; version++) {
			await writeFile(path, source(module, version));
			const start = performance.now();
			await run('erlc', erlc, {env});
			await run(program, [...prefix, 'update_list']);
			await run(program, [...prefix, 'update', module]);
			const elapsed = performance.now() - start;
			if (version === 0) {
				await nodeCall(node, `code:ensure_loaded(${module})`);
				continue;
			}
			if (await nodeCall(node, `${module}:version()`) !== String(version)) {
				throw new Error(`By hand, save ${version}: the node does not run it`);
			}
			samples.push(elapsed);
		}
	} finally {
		await rm(dir, {recursive: true, force: true});
	}
	return summarize(samples);
}
