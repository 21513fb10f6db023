import {spawn, type ChildProcessWithoutNullStreams} from 'node:child_process';
import {fileURLToPath} from 'node:url';

/** The built CLI, as `npm test` builds it and the package's `bin` runs it. */
export const CLI = fileURLToPath(new URL('../../build/daemon/cli/main.js', import.meta.url));

export interface CliResult {
	readonly code: number | null;
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
		child.on('close', code => resolve({code, stdout, stderr}));
	});
}

/**
 * A long-running CLI process whose output lines a test can wait for; killed
 * (by its own pid) when the test ends if it is still running.
 */
export class CliProcess {
	readonly child: ChildProcessWithoutNullStreams;
	readonly stdoutLines: string[] = [];
	readonly stderrLines: string[] = [];
	readonly exited: Promise<number | null>;
	readonly #wakers = new Set<() => void>();

	constructor(args: readonly string[]) {
		this.child = spawn(process.execPath, [CLI, ...args], {stdio: 'pipe'});
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
			if (this.child.exitCode !== null || Date.now() > deadline) {
				throw new Error(`No matching ${stream} line (exit code ${String(this.child.exitCode)}); stdout:\n${this.stdoutLines.join('\n')}\nstderr:\n${this.stderrLines.join('\n')}`);
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
