import {chmod, readFile, writeFile} from 'node:fs/promises';
import * as path from 'node:path';

/**
 * A stand-in for erlc: a shell script that writes its own pid and its
 * child's (a `sleep` it waits for) to `pids`, then hangs. A timeout or an
 * abort must kill both: the group, not only the process spawned.
 */
export async function writeHangingErlc(directory: string): Promise<{erlc: string; pids: string}> {
	const erlc = path.join(directory, 'erlc');
	const pids = path.join(directory, 'pids');
	await writeFile(erlc, `#!/bin/sh\nsleep 300 &\necho "$$ $!" > '${pids}.tmp'\nmv '${pids}.tmp' '${pids}'\nwait\n`);
	await chmod(erlc, 0o755);
	return {erlc, pids};
}

/** The pids the fake wrote, once it has (polled: the file appears when the script runs). */
export async function readPids(pids: string, timeoutMs = 10_000): Promise<number[]> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const text = await readFile(pids, 'utf8').catch(() => undefined);
		if (text !== undefined) {
			return text.trim().split(/\s+/).map(Number);
		}
		if (Date.now() > deadline) {
			throw new Error(`${pids} was not written within ${timeoutMs} ms`);
		}
		await new Promise(resolve => setTimeout(resolve, 20));
	}
}

/** True once the process is gone or a zombie nobody reaps yet (it runs no more either way); polled up to `timeoutMs`. */
export async function isGone(pid: number, timeoutMs = 5000): Promise<boolean> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
		// The state follows the command name in parentheses: `123 (sleep) Z ...`.
		if (stat === undefined || /\) Z /.test(stat)) {
			return true;
		}
		if (Date.now() > deadline) {
			return false;
		}
		await new Promise(resolve => setTimeout(resolve, 20));
	}
}
