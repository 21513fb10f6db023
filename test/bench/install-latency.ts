import {mkdir, mkdtemp, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {resolveConfig} from '../../daemon/config/resolve-config.ts';
import type {UserConfig} from '../../daemon/config/schema.ts';
import {openDaemon} from '../support/open-daemon.ts';
import type {SandboxNode} from '../../daemon/sandbox/sandbox-node.ts';
import {nodeCall} from '../support/ejabberd.ts';
import {compileGenerated, installBeam} from '../support/fixtures.ts';
import {RecordCollector, batchWith} from '../support/record-collector.ts';
import {summarize, type Summary} from './stats.ts';

export interface InstallLatency {
	/** From the end of the last write to the batch record (new code verified loaded). */
	readonly total: Summary;
	/** The same minus the time the batch waited (quiet window): the transport's share. */
	readonly afterDebounce: Summary;
	readonly debounceMs: number;
	/** Where the time after the debounce goes, p50 of each step. */
	readonly steps: {readonly detect: Summary; readonly updateInfo: Summary; readonly update: Summary; readonly verify: Summary};
	/** CPU time of this process (the daemon, in process) from the write to the record, per install. */
	readonly daemonCpuMs: Summary;
}

/** A latency measurement taken one install at a time, so that two can be interleaved (see cluster-latency.ts). */
export interface LatencySession<R> {
	/** Install version `run` (1 to runs) and time it. */
	sample(run: number): Promise<void>;
	/** The samples so far, summarised. */
	result(): R;
	/** Close the daemon, remove the builds. */
	close(): Promise<void>;
}

/**
 * Install a new version of a loaded module `runs` times with the daemon
 * attached; each sample runs from the moment the beam is fully written to the
 * batch record that verified the new code loaded. The new code is checked to
 * answer in the node after each run, outside the timing.
 */
export async function measureInstallLatency(node: SandboxNode, transport: UserConfig, runs: number, debounceMs: number): Promise<InstallLatency> {
	const session = await openInstallLatency(node, transport, runs, debounceMs);
	try {
		for (let run = 1; run <= runs; run++) {
			await session.sample(run);
		}
	} finally {
		await session.close();
	}
	return session.result();
}

/** measureInstallLatency one install at a time: builds `runs` + 1 versions, loads the first, starts the daemon. */
export async function openInstallLatency(node: SandboxNode, transport: UserConfig, runs: number, debounceMs: number): Promise<LatencySession<InstallLatency>> {
	const module = `bench_${transport.transport ?? 'default'}`;
	const buildDir = await mkdtemp(join(tmpdir(), 'reloader-bench-'));
	const beams: string[] = [];
	for (let version = 0; version <= runs; version++) {
		const dir = join(buildDir, String(version));
		await mkdir(dir);
		beams.push(await compileGenerated(module, version, dir));
	}
	await installBeam(beams[0] ?? '', node.ebinDir);
	await nodeCall(node, `code:ensure_loaded(${module})`);

	const config = resolveConfig({...transport, watch: [node.ebinDir], debounceMs, maxWaitMs: Math.max(3000, debounceMs)});
	const records = new RecordCollector();
	const daemon = await openDaemon(config, records.report);
	const totals: number[] = [];
	const transportShares: number[] = [];
	const cpuMs: number[] = [];
	const steps = {detect: [] as number[], updateInfo: [] as number[], update: [] as number[], verify: [] as number[]};
	let closed: Promise<void> | undefined;
	const close = async () => {
		closed ??= (async () => {
			await daemon.close('bench done');
			await rm(buildDir, {recursive: true, force: true});
		})();
		return closed;
	};
	try {
		await daemon.start();
	} catch (error) {
		await close();
		throw error;
	}
	return {
		async sample(version) {
			const since = records.mark();
			await installBeam(beams[version] ?? '', node.ebinDir);
			const written = performance.now();
			const cpu = process.cpuUsage();
			const batch = await records.waitFor(batchWith(module), {since});
			const elapsed = performance.now() - written;
			const cpuUsed = process.cpuUsage(cpu);
			if (!batch.updated.includes(module)) {
				throw new Error(`Run ${version}: ${module} was not updated: ${JSON.stringify(batch)}`);
			}
			const answer = await nodeCall(node, `${module}:version()`);
			if (answer !== String(version)) {
				throw new Error(`Run ${version}: the node answers ${answer}`);
			}
			totals.push(elapsed);
			transportShares.push(elapsed - batch.durations.waitMs);
			cpuMs.push((cpuUsed.user + cpuUsed.system) / 1000);
			// Detection: from the last write to the batch's first change, plus the record's way back.
			steps.detect.push(elapsed - batch.durations.waitMs - batch.durations.totalMs);
			steps.updateInfo.push(batch.durations.updateInfoMs);
			steps.update.push(batch.durations.updateMs);
			steps.verify.push(batch.durations.verifyMs);
		},
		result: () => ({
			total: summarize(totals),
			afterDebounce: summarize(transportShares),
			debounceMs,
			steps: {detect: summarize(steps.detect), updateInfo: summarize(steps.updateInfo), update: summarize(steps.update), verify: summarize(steps.verify)},
			daemonCpuMs: summarize(cpuMs),
		}),
		close,
	};
}
