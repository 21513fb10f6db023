import {systemClock, type Clock} from '../batcher/clock.ts';
import {errorMessage, isRetryable} from '../errors.ts';
import {problemRecord, type DaemonRecord} from '../records.ts';
import {backoffDelay} from './backoff.ts';
import type {NodeSession} from './node-session.ts';

export interface WaitForNodeOptions {
	readonly node: string;
	readonly session: NodeSession;
	readonly report: (record: DaemonRecord) => void;
	readonly signal: AbortSignal;
	/** Times the backoff. Default: the system clock, holding the process open while it waits (nothing else may). */
	readonly clock?: Clock;
}

/**
 * Retry the init step with a capped backoff until the node answers (resolves
 * true) or the signal aborts (false). Each try is reported, so the log and
 * /status say plainly that the daemon is waiting for the node, and why.
 */
export async function waitForNode(options: WaitForNodeOptions, firstError: unknown): Promise<boolean> {
	const {node, session, report, signal} = options;
	let error = firstError;
	for (let attempt = 0; !signal.aborted; attempt++) {
		const retryInMs = backoffDelay(attempt);
		report({event: 'node', node, state: 'down', reason: errorMessage(error), retryInMs});
		await sleep(retryInMs, signal, options.clock ?? keepAliveClock);
		if (signal.aborted) {
			break;
		}
		try {
			await session.ready(signal);
			report({event: 'node', node, state: 'up'});
			return true;
		} catch (nextError) {
			if (!isRetryable(nextError)) {
				report(problemRecord(nextError, 'error'));
			}
			error = nextError;
		}
	}
	return false;
}

const keepAliveClock: Clock = {
	...systemClock,
	setTimer: (callback, delayMs) => ({id: setTimeout(callback, delayMs)}),
};

function sleep(ms: number, signal: AbortSignal, clock: Clock): Promise<void> {
	return new Promise(resolve => {
		const onAbort = () => {
			clock.clearTimer(timer);
			resolve();
		};
		const timer = clock.setTimer(() => {
			signal.removeEventListener('abort', onAbort);
			resolve();
		}, ms);
		signal.addEventListener('abort', onAbort, {once: true});
	});
}
