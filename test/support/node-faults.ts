import {execFile} from 'node:child_process';
import {promisify} from 'node:util';
import {killGroup, waitForGroupGone} from '../../daemon/sandbox/process-group.ts';
import type {SandboxNode} from '../../daemon/sandbox/sandbox-node.ts';
import {waitUntil} from './wait.ts';

/**
 * Fault injection for tests: outages and crashes of a sandbox node, done from
 * outside through what the node exposes (its pid, which is the id of the
 * process group it was spawned in, its ejabberdctl command, and restart()).
 * Test-only on purpose: nothing here ships in the build.
 */

const STOP_GRACE_MS = 30_000;

/** Whether the node's process group still has a process in it. */
function groupAlive(pid: number): boolean {
	if (pid <= 1) {
		return false;
	}
	try {
		process.kill(-pid, 0);
		return true;
	} catch {
		return false;
	}
}

async function groupGoneWithin(pid: number, ms: number): Promise<boolean> {
	return waitUntil(() => !groupAlive(pid), `process group ${pid} is gone`, ms).then(() => true, () => false);
}

/** Stop the node as an operator would (`ejabberdctl stop`), keeping its directory: it stays down until resumeNode(). */
export async function haltNode(node: SandboxNode): Promise<void> {
	const {pid} = node;
	const [file = '', ...prefix] = node.ctlCommand;
	// Run as this process, like the ctl transport: ejabberdctl run as root
	// switches to its user itself, and a chrooted node's ctlCommand only runs as root.
	// A node already down makes `stop` fail: what counts is the group being gone.
	await promisify(execFile)(file, [...prefix, 'stop'], {timeout: STOP_GRACE_MS}).catch(() => undefined);
	if (!(await groupGoneWithin(pid, STOP_GRACE_MS))) {
		killGroup(pid, 'SIGTERM');
		if (!(await groupGoneWithin(pid, 5000))) {
			killGroup(pid, 'SIGKILL');
		}
	}
	await waitForGroupGone(pid);
}

/** Kill the node's whole process group at once (SIGKILL, as a crash would), keeping its directory. */
export async function crashNode(node: SandboxNode): Promise<void> {
	const {pid} = node;
	killGroup(pid, 'SIGKILL');
	await waitForGroupGone(pid);
}

/** Start a halted or crashed node again (same name, same directory); nothing if it runs. */
export async function resumeNode(node: SandboxNode): Promise<void> {
	if (!groupAlive(node.pid)) {
		await node.restart();
	}
}
