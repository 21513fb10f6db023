import {spawn} from 'node:child_process';
import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {stringify} from 'yaml';
import type {UserConfig} from '../../daemon/config/schema.ts';
import type {SandboxNode} from '../../daemon/sandbox/sandbox-node.ts';
import {CLI} from '../support/cli.ts';

export interface IdleCost {
	readonly seconds: number;
	readonly cpuPercent: number;
	readonly peakRssMiB: number;
	readonly beamsWatched: number;
}

const CLOCK_TICKS = 100;

/** The built daemon (`run`) watching ejabberd's ebin with nothing happening: CPU from /proc, peak RSS (VmHWM). */
export async function measureIdle(node: SandboxNode, transport: UserConfig, seconds: number): Promise<IdleCost> {
	const dir = await mkdtemp(join(tmpdir(), 'reloader-idle-'));
	const configFile = join(dir, 'config.yml');
	await writeFile(configFile, stringify({...transport, watch: [node.ebinDir], log: {format: 'json'}, api: {enabled: false}}));
	const child = spawn(process.execPath, [CLI, 'run', '--config', configFile], {stdio: ['ignore', 'ignore', 'pipe']});
	try {
		let stderr = '';
		await new Promise<void>((resolve, reject) => {
			child.stderr.on('data', (chunk: Buffer) => {
				stderr += chunk.toString();
				if (stderr.includes('"event":"watch"')) {
					resolve();
				}
			});
			child.once('exit', code => reject(new Error(`The daemon exited (${code}) before watching:\n${stderr}`)));
		});
		const beamsWatched = Number(/"beams":(\d+)/.exec(stderr)?.[1] ?? 0);
		const pid = child.pid ?? 0;
		const before = await cpuTicks(pid);
		const start = performance.now();
		await new Promise(resolve => setTimeout(resolve, seconds * 1000));
		const elapsedSeconds = (performance.now() - start) / 1000;
		const used = (await cpuTicks(pid)) - before;
		const status = await readFile(`/proc/${pid}/status`, 'utf8');
		const peakKiB = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
		return {seconds, cpuPercent: Math.round((used / CLOCK_TICKS / elapsedSeconds) * 10_000) / 100, peakRssMiB: Math.round(peakKiB / 102.4) / 10, beamsWatched};
	} finally {
		child.kill('SIGTERM');
		await new Promise(resolve => child.once('exit', resolve));
		await rm(dir, {recursive: true, force: true});
	}
}

async function cpuTicks(pid: number): Promise<number> {
	const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
	// Fields after the command name (which may hold spaces): utime is the 14th field, stime the 15th.
	const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
	return Number(fields[11]) + Number(fields[12]);
}
