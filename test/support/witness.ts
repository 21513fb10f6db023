import type {ChildProcess} from 'node:child_process';

/**
 * A daemon a test started, as a wait that gives up describes it: whether it
 * still runs (or how it ended) and what it said last. Every daemon the
 * support code starts registers one (openDaemon, CliProcess, watchProcess),
 * and every wait in test/support appends them to its timeout message, so
 * that a timeout on a loaded CI machine says why without a rerun.
 */
export interface Witness {
	/** Who: "daemon in this process (dist to n@h)", "pid 123: run --config x.yml". */
	readonly name: string;
	/** One line: whether it still runs, or its exit code or signal. */
	state(): string;
	/** Its most recent output lines or records, oldest first (bounded). */
	recent(): readonly string[];
}

/** How many recent lines each witness keeps and shows. */
export const RECENT_LINES = 40;
/** Only the last daemons started in this test file are shown: older ones are long done. */
const MAX_WITNESSES = 4;
const MAX_LINE_CHARS = 600;

const witnesses: Witness[] = [];

/** Register a daemon to be described when a wait gives up. */
export function addWitness(witness: Witness): void {
	witnesses.push(witness);
	if (witnesses.length > MAX_WITNESSES) {
		witnesses.shift();
	}
}

/**
 * The timeout message's tail: each recent daemon's state and last words ('' when
 * none was started). `lines: false`: states only, for a wait that shows the
 * records itself.
 */
export function describeWitnesses(include: (witness: Witness) => boolean = () => true, options: {readonly lines?: boolean} = {}): string {
	return witnesses.filter(witness => include(witness)).map(witness => {
		if (options.lines === false) {
			return `\n--- ${witness.name}: ${witness.state()}`;
		}
		const recent = witness.recent();
		const said = recent.length === 0 ? '  (nothing yet)' : recent.map(line => `  ${line}`).join('\n');
		return `\n--- ${witness.name}: ${witness.state()}; its last ${recent.length} line(s):\n${said}`;
	}).join('');
}

/** A bounded list of the last lines: pushing past the bound drops the oldest. */
export class RecentLines {
	readonly #lines: string[] = [];
	readonly #max: number;

	constructor(max = RECENT_LINES) {
		this.#max = max;
	}

	push(line: string): void {
		this.#lines.push(line.length > MAX_LINE_CHARS ? `${line.slice(0, MAX_LINE_CHARS)}... (${line.length} chars)` : line);
		if (this.#lines.length > this.#max) {
			this.#lines.shift();
		}
	}

	get lines(): readonly string[] {
		return this.#lines;
	}
}

/** "running (pid 123)", "exited with code 1", "killed by SIGKILL". */
export function processState(child: ChildProcess): string {
	if (child.exitCode !== null) {
		return `exited with code ${child.exitCode}`;
	}
	if (child.signalCode !== null) {
		return `killed by ${child.signalCode}`;
	}
	return child.pid === undefined ? 'never started (spawn failed)' : `running (pid ${child.pid})`;
}

/**
 * A child process's witness: its state and its last stdout and stderr lines,
 * each marked with its stream. Registered at once.
 */
export function watchProcess(child: ChildProcess, name: string): RecentLines {
	const recent = new RecentLines();
	const collect = (stream: NodeJS.ReadableStream | null, mark: string) => {
		let partial = '';
		stream?.on('data', (chunk: Buffer) => {
			const lines = (partial + chunk.toString()).split('\n');
			partial = lines.pop() ?? '';
			for (const line of lines) {
				recent.push(`${mark} ${line}`);
			}
		});
	};
	collect(child.stdout, '[out]');
	collect(child.stderr, '[err]');
	addWitness({name: `pid ${child.pid ?? '?'}: ${name}`, state: () => processState(child), recent: () => recent.lines});
	return recent;
}
