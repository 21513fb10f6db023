import {spawn, type ChildProcess} from 'node:child_process';
import {ReloaderError, errorMessage, quoteUntrusted} from '../errors.ts';

export interface ErlcRun {
	readonly command: string;
	readonly args: readonly string[];
	/** The whole environment erlc gets (compile-options.ts's erlcEnvironment). */
	readonly env: Readonly<Record<string, string>>;
	readonly cwd: string;
	/** The module compiled, for messages. */
	readonly sourceFile: string;
	/** erlc still running after this long is killed, with everything it started. */
	readonly timeoutMs: number;
	readonly signal?: AbortSignal;
	/** Output kept, stdout and stderr in the order they came; the rest is read and counted, not kept. */
	readonly maxOutputBytes: number;
}

export interface ErlcExit {
	/** Null when erlc was ended by a signal. */
	readonly exitCode: number | null;
	readonly exitSignal: NodeJS.Signals | null;
	readonly output: string;
	/** Bytes erlc printed past `maxOutputBytes`. */
	readonly droppedBytes: number;
}

/** Once erlc has exited, how long a process it left behind may hold its output open before we stop reading. */
const OUTPUT_GRACE_MS = 1000;

/**
 * Run erlc once, as run-ejabberdctl.ts runs ejabberdctl: never through a
 * shell, within a time limit, with bounded output, stopped by `signal`. Unlike
 * there, erlc gets a process group of its own (`erl` is a script that starts
 * the VM, which starts helpers), and a timeout or an abort kills the whole
 * group with SIGKILL: a compile has nothing to save, and the temporary
 * directory it writes in is removed right after. A missing erlc, a timeout:
 * ReloaderError; an abort: the signal's reason, as execFile does.
 */
export function runErlc(run: ErlcRun): Promise<ErlcExit> {
	if (run.signal?.aborted === true) {
		return Promise.reject(run.signal.reason);
	}
	return new Promise((resolve, reject) => {
		const child = spawn(run.command, run.args, {cwd: run.cwd, env: run.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true});
		const kept: Buffer[] = [];
		let keptBytes = 0;
		let droppedBytes = 0;
		const collect = (chunk: Buffer): void => {
			const room = run.maxOutputBytes - keptBytes;
			if (room > 0) {
				const part = chunk.byteLength > room ? chunk.subarray(0, room) : chunk;
				kept.push(part);
				keptBytes += part.byteLength;
			}
			droppedBytes += Math.max(0, chunk.byteLength - Math.max(0, room));
		};
		child.stdout?.on('data', collect);
		child.stderr?.on('data', collect);

		let stoppedBy: 'timeout' | 'abort' | undefined;
		let graceTimer: NodeJS.Timeout | undefined;
		const stop = (reason: 'timeout' | 'abort'): void => {
			if (stoppedBy === undefined) {
				stoppedBy = reason;
				killGroup(child);
				stopReading(child);
			}
		};
		const timer = setTimeout(() => stop('timeout'), run.timeoutMs);
		const onAbort = (): void => stop('abort');
		run.signal?.addEventListener('abort', onAbort, {once: true});

		let settled = false;
		const settle = (): boolean => {
			clearTimeout(timer);
			clearTimeout(graceTimer);
			run.signal?.removeEventListener('abort', onAbort);
			const first = !settled;
			settled = true;
			return first;
		};
		child.once('error', error => {
			if (settle()) {
				killGroup(child);
				reject(spawnError(error, run));
			}
		});
		child.once('exit', () => {
			if (!settled) {
				graceTimer = setTimeout(() => stopReading(child), OUTPUT_GRACE_MS);
			}
		});
		child.once('close', (exitCode, exitSignal) => {
			if (!settle()) {
				return;
			}
			if (stoppedBy === 'abort') {
				reject(run.signal?.reason);
			} else if (stoppedBy === 'timeout') {
				reject(timeoutError(run));
			} else {
				resolve({exitCode, exitSignal, output: Buffer.concat(kept).toString('utf8'), droppedBytes});
			}
		});
	});
}

function killGroup(child: ChildProcess): void {
	if (child.pid === undefined) {
		return;
	}
	try {
		// The negative pid is the group spawn's `detached` made: erlc and all it started.
		process.kill(-child.pid, 'SIGKILL');
	} catch {
		child.kill('SIGKILL');
	}
}

function stopReading(child: ChildProcess): void {
	child.stdout?.destroy();
	child.stderr?.destroy();
}

function shown(run: ErlcRun): string {
	return `${quoteUntrusted(run.command, 300)} compiling ${quoteUntrusted(run.sourceFile, 300)}`;
}

function spawnError(error: Error, run: ErlcRun): ReloaderError {
	const code = 'code' in error ? String(error.code) : undefined;
	if (code === 'ENOENT' || code === 'EACCES') {
		const what = code === 'ENOENT' ? (run.command.includes('/') ? 'there is no such file' : 'it is not on PATH') : 'it is not executable by the daemon\'s user';
		return new ReloaderError('ERR_COMPILER_MISSING', `Cannot run the Erlang compiler ${quoteUntrusted(run.command, 300)} to compile ${quoteUntrusted(run.sourceFile, 300)}: ${what}`, {
			cause: error,
			hint: 'Install it (`sudo apt-get install erlang-base` on Debian/Ubuntu, the OTP release ejabberd runs on), or set `compile.erlc` to the full path of erlc.',
		});
	}
	return new ReloaderError('ERR_COMPILE_SETUP', `Cannot start ${shown(run)}: ${errorMessage(error)}`, {
		cause: error,
		retryable: code === 'EAGAIN' || code === 'EMFILE' || code === 'ENFILE' || code === 'ENOMEM',
		hint: 'The system may be out of processes or file descriptors; the next save tries again.',
	});
}

function timeoutError(run: ErlcRun): ReloaderError {
	return new ReloaderError('ERR_COMPILE_TIMEOUT', `${shown(run)} did not finish within ${run.timeoutMs} ms and was killed`, {
		retryable: true,
		hint: 'A parse transform may loop, or the machine is overloaded; raise `compile.timeoutMs` if the module just takes long.',
	});
}
