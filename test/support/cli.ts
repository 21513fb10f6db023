import {spawn, type ChildProcessWithoutNullStreams} from 'node:child_process';
import {fileURLToPath} from 'node:url';
import {addWitness, describeWitnesses, processState} from './witness.ts';

/** The built CLI, as `npm test` builds it and the package's `bin` runs it. */
export const CLI = fileURLToPath(new URL('../../build/daemon/cli/main.js', import.meta.url));

export interface CliResult {
	readonly code: number | null;
	/** The signal that ended it (its timeout kills it with SIGTERM), else null. */
	readonly signal: NodeJS.Signals | null;
	readonly stdout: string;
	readonly stderr: string;
}

export function runCli(args: readonly string[], options: {timeoutMs?: number} = {}): Promise<CliResult> {
	return new Promise((resolve, reject) => {
		const child = spawn(process.execPath, [CLI, ...args], {stdio: ['ignore', 'pipe', 'pipe'], timeout: options.timeoutMs ?? 120_000});
		let stdout = '';
		let stderr = '';
		child.stdout.on('data', (chunk: Buffer) => {
			stdout += chunk.toString();
		});
		child.stderr.on('data', (chunk: Buffer) => {
			stderr += chunk.toString();
		});
		child.on('error', reject);
		child.on('close', (code, signal) => resolve({code, signal, stdout, stderr}));
	});
}

/**
 * A long-running CLI process whose output lines a test can wait for; killed
 * (by its own pid) when the test ends if it is still running. `command`:
 * what runs the CLI, default node and the built CLI (fd-limit runs it under
 * prlimit, from source). It is a witness: a wait that gives up shows its
 * state and last lines.
 */
export class CliProcess {
	readonly child: ChildProcessWithoutNullStreams;
	readonly stdoutLines: string[] = [];
	readonly stderrLines: string[] = [];
	readonly exited: Promise<number | null>;
	readonly #wakers = new Set<() => void>();

	constructor(args: readonly string[], command: readonly string[] = [process.execPath, CLI]) {
		const [file = process.execPath, ...prefix] = command;
		this.child = spawn(file, [...prefix, ...args], {stdio: 'pipe'});
		addWitness({
			name: `pid ${this.child.pid ?? '?'}: ${['ejabberd-reloader', ...args].join(' ')}`,
			state: () => processState(this.child),
			recent: () => [...this.stdoutLines.slice(-20).map(line => `[out] ${line}`), ...this.stderrLines.slice(-20).map(line => `[err] ${line}`)],
		});
		this.#collect(this.child.stdout, this.stdoutLines);
		this.#collect(this.child.stderr, this.stderrLines);
		this.exited = new Promise(resolve => {
			this.child.on('close', code => {
				resolve(code);
				this.#wake();
			});
		});
	}

	/** Wait for a line (on stdout or stderr) that matches, from line `since` of all lines seen. */
	async waitForLine(stream: 'stdout' | 'stderr', matches: (line: string) => boolean, timeoutMs = 60_000): Promise<string> {
		const lines = stream === 'stdout' ? this.stdoutLines : this.stderrLines;
		const deadline = Date.now() + timeoutMs;
		for (;;) {
			const found = lines.find(line => matches(line));
			if (found !== undefined) {
				return found;
			}
			if (this.child.exitCode !== null || this.child.signalCode !== null || Date.now() > deadline) {
				const why = Date.now() > deadline ? `within ${timeoutMs} ms` : 'before it ended';
				throw new Error(`No matching ${stream} line ${why}; the process ${processState(this.child)}; stdout:\n${this.stdoutLines.join('\n')}\nstderr:\n${this.stderrLines.join('\n')}${describeOthers(this)}`);
			}
			await new Promise<void>(resolve => {
				const wake = () => {
					this.#wakers.delete(wake);
					clearTimeout(timer);
					resolve();
				};
				const timer = setTimeout(wake, Math.max(0, Math.min(1000, deadline - Date.now())));
				this.#wakers.add(wake);
			});
		}
	}

	/** JSON log records (log.format json) on stderr. */
	records(): Record<string, unknown>[] {
		return this.stderrLines.flatMap(line => {
			try {
				return [JSON.parse(line) as Record<string, unknown>];
			} catch {
				return [];
			}
		});
	}

	kill(): void {
		if (this.child.exitCode === null && this.child.signalCode === null) {
			this.child.kill('SIGKILL');
		}
	}

	/**
	 * Stop it as Ctrl-C does, so that what it started goes with it (the
	 * sandbox stops its node and removes its files); SIGKILL only if it has
	 * not ended within `graceMs`. For the teardown of a test that failed
	 * half-way: SIGKILL alone would leave a sandbox's node running.
	 */
	async interrupt(graceMs = 90_000): Promise<void> {
		if (this.child.exitCode !== null || this.child.signalCode !== null) {
			return;
		}
		this.child.kill('SIGINT');
		const ended = await Promise.race([this.exited.then(() => true, () => true), new Promise<false>(resolve => {
			setTimeout(() => resolve(false), graceMs).unref();
		})]);
		if (!ended) {
			this.kill();
		}
	}

	#collect(stream: NodeJS.ReadableStream, into: string[]): void {
		let partial = '';
		stream.on('data', (chunk: Buffer) => {
			const text = partial + chunk.toString();
			const lines = text.split('\n');
			partial = lines.pop() ?? '';
			into.push(...lines);
			this.#wake();
		});
	}

	#wake(): void {
		for (const wake of this.#wakers) {
			wake();
		}
	}
}

/** The other daemons of the test (a cluster's, a node's): this one's own lines are in the message already. */
function describeOthers(process: CliProcess): string {
	const others = describeWitnesses(witness => !witness.name.startsWith(`pid ${process.child.pid ?? '?'}:`));
	return others === '' ? '' : `\nother daemons:${others}`;
}
