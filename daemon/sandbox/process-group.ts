import {setTimeout as delay} from 'node:timers/promises';

/**
 * The sandbox's nodes run in process groups of their own (spawned detached), so
 * they are signalled and waited for by the group id we created: never by name,
 * never a process we did not start.
 */
/** Whether the promise settles within `ms` (the timer does not keep the process alive). */
export const settlesWithin = (promise: Promise<unknown>, ms: number): Promise<boolean> => Promise.race([promise.then(() => true), delay(ms, false, {ref: false})]);

/** Signal the process group we created; a group that is already gone is fine. */
export function killGroup(pid: number, signal: NodeJS.Signals): void {
	// -0 or -1 would mean our own group or every process we may signal.
	if (pid <= 1) {
		return;
	}
	try {
		process.kill(-pid, signal);
	} catch {
		// ESRCH: nothing left in the group.
	}
}

// Children of the VM (erl_child_setup, inet_gethost) may outlive our child by
// a moment; stop() promises the whole group is gone. A zombie that init has
// not reaped yet still counts, hence the final limit.
export async function waitForGroupGone(pid: number): Promise<void> {
	for (const start = Date.now(); pid > 1 && Date.now() - start < 10_000; await delay(50)) {
		try {
			process.kill(-pid, 0);
		} catch {
			return;
		}
		if (Date.now() - start > 5000) {
			killGroup(pid, 'SIGKILL');
		}
	}
}
