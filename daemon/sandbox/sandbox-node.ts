import {execFile, spawn, type ChildProcess} from 'node:child_process';
import {randomBytes} from 'node:crypto';
import {rmSync} from 'node:fs';
import {chmod, cp, mkdir, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join, resolve} from 'node:path';
import {createInterface} from 'node:readline';
import {setTimeout as delay} from 'node:timers/promises';
import {promisify} from 'node:util';
import {ReloaderError} from '../errors.ts';
import {asEjabberdUser, assertMayRunEjabberdctl, ensureErlangCookie, findEjabberdInstall, findEjabberdUser, type EjabberdUser} from '../ejabberd/ejabberd-install.ts';
import {findFreePorts} from './free-port.ts';
import {killGroup, settlesWithin, waitForGroupGone} from './process-group.ts';
import {loadSandboxTemplates, renderSandboxConfigs, sandboxOptionProblems} from './sandbox-config.ts';

export interface SandboxNodeOptions {
	/** Node name before `@localhost`, matching `[a-z][a-z0-9_]*`. Default: a unique `reloader_<8 hex digits>`. */
	readonly name?: string;
	/** Where the node's fresh directory is created (it must be traversable by the ejabberd user). Default: `os.tmpdir()`. */
	readonly baseDir?: string;
	/** How long to wait for `ejabberdctl status` to succeed. Default: 60000. */
	readonly startTimeoutMs?: number;
	/** Aborts a start or restart in progress (the node is then killed); does not stop a started node. */
	readonly signal?: AbortSignal;
	/** Receives each line the node prints on stdout and stderr. Default: lines are dropped. */
	readonly onOutput?: (line: string) => void;
}

export interface SandboxNode {
	/** `name@localhost`. */
	readonly node: string;
	readonly dir: string;
	/** The private ebin the node loads from: install beams here. */
	readonly ebinDir: string;
	readonly configDir: string;
	readonly logDir: string;
	/** ejabberdctl and the options that aim it at this node; append a command. */
	readonly ctlCommand: readonly string[];
	/** Pid (and process group id) of the `ejabberdctl foreground` we spawned; changes on restart. Signal the group, never anything else. */
	readonly pid: number;
	readonly ports: {readonly c2s: number; readonly http: number};
	/** The cookie the node uses: `$HOME/.erlang.cookie` of the ejabberd user. */
	readonly cookieFile: string;
	/** Stop the node and remove its directory; idempotent. */
	stop(): Promise<void>;
	/**
	 * Stop the node process, keep its directory and name (mnesia is bound to the
	 * name), start again. Also starts a node whose process has exited or was
	 * killed from outside.
	 */
	restart(): Promise<void>;
}

const POLL_INTERVAL_MS = 200;
const STOP_GRACE_MS = 30_000;
const TAIL_LINES = 20;

interface Running {
	readonly child: ChildProcess;
	readonly pid: number;
	readonly exit: Promise<string>;
	readonly output: string[];
}

type Layout = Readonly<Record<'dir' | 'ebinDir' | 'configDir' | 'spoolDir' | 'logDir', string>>;

/** Start a throwaway ejabberd node of our own, beside (never instead of) the system's. */
export async function startSandboxNode(options: SandboxNodeOptions = {}): Promise<SandboxNode> {
	const name = options.name ?? `reloader_${randomBytes(4).toString('hex')}`;
	const baseDir = resolve(options.baseDir ?? tmpdir());
	const startTimeoutMs = options.startTimeoutMs ?? 60_000;
	const problems = sandboxOptionProblems({name, baseDir, startTimeoutMs});
	if (problems.length > 0) {
		throw new ReloaderError('ERR_SANDBOX', `Invalid sandbox node options:\n${problems.map(problem => `  - ${problem}`).join('\n')}`);
	}
	assertMayRunEjabberdctl();
	const [install, user, templates, [c2s = 0, http = 0]] = await Promise.all([findEjabberdInstall(), findEjabberdUser(), loadSandboxTemplates(), findFreePorts(2)]);
	const dir = await mkdtemp(join(baseDir, `${name}-`)).catch((error: unknown) => {
		throw new ReloaderError('ERR_SANDBOX', `Could not create the sandbox node's directory under ${baseDir}`, {cause: error, hint: 'Pass an existing, writable baseDir.'});
	});
	const layout: Layout = {dir, ebinDir: join(dir, 'lib', `ejabberd-${install.version}`, 'ebin'), configDir: join(dir, 'etc'), spoolDir: join(dir, 'spool'), logDir: join(dir, 'logs')};
	const sandbox = new Sandbox(name, layout, install.ejabberdctl, {c2s, http}, join(user.home, '.erlang.cookie'), user, startTimeoutMs);
	try {
		await cp(install.libDir, join(dir, 'lib', `ejabberd-${install.version}`), {recursive: true});
		await Promise.all([mkdir(layout.configDir), mkdir(layout.spoolDir), mkdir(layout.logDir)]);
		const files = renderSandboxConfigs(templates, {c2sPort: c2s, httpPort: http, nodeName: name, configDir: layout.configDir, ebinDir: layout.ebinDir});
		await Promise.all(Object.entries(files).map(([file, text]) => writeFile(join(layout.configDir, file), text)));
		// mkdtemp gives 0700; the node runs as the ejabberd user and must enter it.
		await chmod(dir, 0o755);
		if (process.getuid?.() === 0) {
			await promisify(execFile)('chown', ['-R', `${user.uid}:${user.gid}`, dir]);
		}
		await ensureErlangCookie(user);
		await sandbox.start(options);
		return sandbox;
	} catch (error) {
		await sandbox.stop();
		throw error;
	}
}

class Sandbox implements SandboxNode {
	readonly node: string;
	readonly dir: string;
	readonly ebinDir: string;
	readonly configDir: string;
	readonly logDir: string;
	readonly ctlCommand: readonly string[];
	readonly ports: {readonly c2s: number; readonly http: number};
	readonly cookieFile: string;
	readonly #user: EjabberdUser;
	readonly #startTimeoutMs: number;
	#options: SandboxNodeOptions = {};
	#running: Running | undefined;
	#lastPid = 0;
	// start, restart and stop run one after another, never interleaved.
	#queue: Promise<unknown> = Promise.resolve();
	#stopping: Promise<void> | undefined;

	constructor(name: string, layout: Layout, ejabberdctl: string, ports: {c2s: number; http: number}, cookieFile: string, user: EjabberdUser, startTimeoutMs: number) {
		this.node = `${name}@localhost`;
		this.dir = layout.dir;
		this.ebinDir = layout.ebinDir;
		this.configDir = layout.configDir;
		this.logDir = layout.logDir;
		this.ctlCommand = Object.freeze([ejabberdctl, '--config-dir', layout.configDir, '--spool', layout.spoolDir, '--logs', layout.logDir]);
		this.ports = Object.freeze({...ports});
		this.cookieFile = cookieFile;
		this.#user = user;
		this.#startTimeoutMs = startTimeoutMs;
		liveSandboxes.add(this);
	}

	get pid(): number {
		return this.#running?.pid ?? this.#lastPid;
	}

	start(options: SandboxNodeOptions): Promise<void> {
		this.#options = options;
		return this.#enqueue(() => this.#launch());
	}

	restart(): Promise<void> {
		return this.#whileAlive('restart', async () => {
			await this.#stopProcess();
			await this.#launch();
		});
	}

	#whileAlive(what: string, task: () => Promise<void>): Promise<void> {
		if (this.#stopping !== undefined) {
			return Promise.reject(new ReloaderError('ERR_SANDBOX', `Cannot ${what} sandbox node ${this.node}: stop() was already called`));
		}
		return this.#enqueue(task);
	}

	stop(): Promise<void> {
		this.#stopping ??= this.#enqueue(async () => {
			await this.#stopProcess();
			await rm(this.dir, {recursive: true, force: true});
			liveSandboxes.delete(this);
		});
		return this.#stopping;
	}

	/** For the process 'exit' handler: no promises, no waiting. */
	killNow(): void {
		if (this.#running !== undefined) {
			killGroup(this.#running.pid, 'SIGKILL');
		}
		rmSync(this.dir, {recursive: true, force: true});
	}

	#enqueue<T>(task: () => Promise<T>): Promise<T> {
		const result = this.#queue.then(task);
		this.#queue = result.catch(() => undefined);
		return result;
	}

	async #launch(): Promise<void> {
		const {signal, onOutput} = this.#options;
		signal?.throwIfAborted();
		// Our status polls would take another node of this name for ours; its
		// ejabberdctl would then exit 4 unnoticed. epmd knows every live name.
		const names = await promisify(execFile)('/usr/bin/epmd', ['-names']).then(result => result.stdout, () => '');
		if (names.split('\n').some(line => line.startsWith(`name ${this.node.split('@')[0]} at port `))) {
			throw new ReloaderError('ERR_SANDBOX', `A node named ${this.node} is already running`, {hint: 'Choose another name, or leave the name option out for a unique one.'});
		}
		// Spawned directly as the ejabberd user rather than through ejabberdctl's
		// `su`: su puts its child in a new session, outside the process group we
		// can kill, and killing su would orphan the Erlang VM.
		const child = spawn(this.ctlCommand[0] ?? '', [...this.ctlCommand.slice(1), 'foreground'], {...asEjabberdUser(this.#user, this.dir), detached: true, stdio: ['ignore', 'pipe', 'pipe']});
		const exit = new Promise<string>(settle => {
			child.once('exit', (code, exitSignal) => settle(exitSignal === null ? `exit code ${code}` : `signal ${exitSignal}`));
			child.once('error', error => settle(`spawn error: ${error.message}`));
		});
		const output: string[] = [];
		for (const stream of [child.stdout, child.stderr]) {
			createInterface({input: stream, crlfDelay: Number.POSITIVE_INFINITY}).on('line', line => {
				output.push(line);
				output.splice(0, output.length - TAIL_LINES);
				onOutput?.(line);
			});
		}
		if (child.pid === undefined) {
			throw new ReloaderError('ERR_SANDBOX', `Could not start ${this.ctlCommand[0]} for sandbox node ${this.node}: ${await exit}`);
		}
		this.#running = {child, pid: child.pid, exit, output};
		this.#lastPid = child.pid;
		await this.#waitUntilStarted(this.#running, signal);
	}

	async #waitUntilStarted(running: Running, signal: AbortSignal | undefined): Promise<void> {
		const deadline = Date.now() + this.#startTimeoutMs;
		let exited: string | undefined;
		void running.exit.then(how => (exited = how));
		try {
			for (;;) {
				signal?.throwIfAborted();
				if (exited !== undefined) {
					throw new ReloaderError('ERR_SANDBOX', `Sandbox node ${this.node} exited (${exited}) before it started.\n${await this.#tails(running)}`);
				}
				if (await this.#ctl(['status'])) {
					return;
				}
				if (Date.now() > deadline) {
					throw new ReloaderError('ERR_SANDBOX', `Sandbox node ${this.node} did not start within ${this.#startTimeoutMs} ms.\n${await this.#tails(running)}`, {retryable: true, hint: 'Raise startTimeoutMs on a slow machine.'});
				}
				await Promise.race([delay(POLL_INTERVAL_MS, undefined, {signal}), running.exit]);
			}
		} catch (error) {
			await this.#killProcess(running);
			throw signal?.aborted === true ? signal.reason : error;
		}
	}

	async #stopProcess(): Promise<void> {
		if (this.#running !== undefined) {
			// A node stopped or killed from outside has nothing left to stop; one
			// going down by itself makes `stop` fail, and the child exits anyway.
			if (!(await settlesWithin(this.#running.exit, 0))) {
				await this.#ctl(['stop']);
			}
			await this.#killProcess(this.#running, STOP_GRACE_MS);
		}
	}

	/** Give our child `graceMs` to exit by itself, then SIGTERM, then SIGKILL its process group. */
	async #killProcess(running: Running, graceMs = 0): Promise<void> {
		if (!(await settlesWithin(running.exit, graceMs))) {
			killGroup(running.pid, 'SIGTERM');
			if (!(await settlesWithin(running.exit, 5000))) {
				killGroup(running.pid, 'SIGKILL');
				await running.exit;
			}
		}
		await waitForGroupGone(running.pid);
		this.#running = undefined;
	}

	/** Run an ejabberdctl command against this node; true when it exits 0. */
	async #ctl(args: readonly string[]): Promise<boolean> {
		const [file = '', ...prefix] = this.ctlCommand;
		return promisify(execFile)(file, [...prefix, ...args], {...asEjabberdUser(this.#user, this.dir), timeout: 30_000}).then(() => true, () => false);
	}

	async #tails(running: Running): Promise<string> {
		const log = await readFile(join(this.logDir, 'ejabberd.log'), 'utf8').catch(() => '');
		const logTail = log.trimEnd().split('\n').slice(-TAIL_LINES).join('\n');
		return `Last output:\n${running.output.join('\n') || '(none)'}\nLast lines of ${join(this.logDir, 'ejabberd.log')}:\n${logTail || '(empty)'}`;
	}
}

// A crashed test run or CLI must not leave nodes behind: on exit, kill the
// process groups we started (synchronously, by their pids) and remove the dirs.
const liveSandboxes = new Set<Sandbox>();
process.once('exit', () => {
	for (const sandbox of liveSandboxes) {
		sandbox.killNow();
	}
});
