import {execFile, spawn, type ChildProcess} from 'node:child_process';
import {randomBytes} from 'node:crypto';
import {rmSync} from 'node:fs';
import {access, chmod, cp, mkdir, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join, relative, resolve} from 'node:path';
import {createInterface} from 'node:readline';
import {setTimeout as delay} from 'node:timers/promises';
import {promisify} from 'node:util';
import {ReloaderError} from '../errors.ts';
import {asEjabberdUser, assertMayRunEjabberdctl, ensureErlangCookie} from '../ejabberd/ejabberd-install.ts';
import {findFreePorts} from './free-port.ts';
import {killGroup, settlesWithin, waitForGroupGone} from './process-group.ts';
import {loadSandboxTemplates, moduleNameProblems, renderSandboxConfigs, sandboxOptionProblems, type NodeHost} from './sandbox-config.ts';
import {CHROOT, findSandboxInstall, hostPath, nodePath, type SandboxInstall} from './sandbox-install.ts';
import {prepareLibraryAliases} from '../sources/library-aliases.ts';

export interface SandboxNodeOptions {
	/** Node name before the `@`, matching `[a-z][a-z0-9_]*`. Default: a unique `reloader_<8 hex digits>`. */
	readonly name?: string;
	/** Long node names: `name@127.0.0.1`, started with `-name`. Default: false (`name@localhost`, `-sname`). */
	readonly longName?: boolean;
	/**
	 * Where the node's fresh directory is created (it must be traversable by the
	 * ejabberd user), as this process sees it. Default: `os.tmpdir()`, or
	 * `<root>/compat` with a root.
	 */
	readonly baseDir?: string;
	/** Modules enabled in the node's ejabberd.yml (`modules:` section, default options). Default: none. */
	readonly modules?: readonly string[];
	/** Beams put into the private ebin before the node starts (a module of the developer's, compiled, that `modules` enables). Default: none. */
	readonly beams?: readonly {readonly module: string; readonly bytes: Uint8Array}[];
	/**
	 * Run the node chrooted into this directory, from the ejabberd installed
	 * there (the tests' Debian 13 root with 24.12), instead of the system's. The
	 * node then sees its files without this prefix, like a container with a
	 * mounted volume. Needs root, proc mounted on `<root>/proc` and a
	 * `<root>/etc/hosts` (test/support/ejabberd-2412.ts prepares them).
	 * Default: the system's install.
	 */
	readonly root?: string;
	/**
	 * Extra `erl` arguments, one word per entry, appended to the node's
	 * ERL_OPTIONS; ejabberdctl's control node (status, stop, join_cluster) gets
	 * them too. E.g. TLS distribution: `['-proto_dist', 'inet_tls',
	 * '-ssl_dist_optfile', '/path/ssl_dist.conf']`; every file named must be
	 * readable by the ejabberd user. Default: none.
	 */
	readonly erlOptions?: readonly string[];
	/** How long to wait for `ejabberdctl status` to succeed. Default: 60000. */
	readonly startTimeoutMs?: number;
	/** Aborts a start or restart in progress (the node is then killed); does not stop a started node. */
	readonly signal?: AbortSignal;
	/** Receives each line the node prints on stdout and stderr. Default: lines are dropped. */
	readonly onOutput?: (line: string) => void;
}

export interface SandboxNode {
	/** `name@localhost`, or `name@127.0.0.1` with longName. */
	readonly node: string;
	/** The ejabberd version, from its lib dir's name: `23.01-1`, `24.12-3+deb13u2`. */
	readonly version: string;
	/** The root the node is chrooted into; undefined when it runs from the system's install. */
	readonly root: string | undefined;
	/** Every path below is as this process sees it (inside `root` for a chrooted node). */
	readonly dir: string;
	/** The private ebin the node loads from: install beams here. Same as hostEbinDir. */
	readonly ebinDir: string;
	/** The private ebin as this process (the daemon's side) sees it. */
	readonly hostEbinDir: string;
	/** The private ebin as the node sees it (`code:which/1`, update_info's Dir): differs from hostEbinDir in a root. */
	readonly nodeEbinDir: string;
	readonly configDir: string;
	/** The node's ejabberd.yml (enable modules in its `modules:` section). */
	readonly configFile: string;
	readonly logDir: string;
	/** The node's private CONTRIB_MODULES_PATH: `ejabberdctl module_install` writes here, nowhere else. */
	readonly contribDir: string;
	/** An empty directory for module sources: the sandbox's daemon compiles what is saved here into ebinDir (save to live). */
	readonly sourcesDir: string;
	/**
	 * ejabberd's libraries under the names sources use (`xmpp` for Debian's
	 * `p1_xmpp-1.6.1`, ...), linked relatively, so valid from both sides of a
	 * root: `ERL_LIBS` for an erlc by hand, so that
	 * `-include_lib("xmpp/include/xmpp.hrl")` resolves; and last on the node's
	 * code path, so that `module_install` compiles inside the node.
	 */
	readonly depsDir: string;
	/** ejabberdctl and the options that aim it at this node, to run as root or the ejabberd user; append a command. */
	readonly ctlCommand: readonly string[];
	/** Pid (and process group id) of the `ejabberdctl foreground` we spawned; changes on restart. Signal the group, never anything else. */
	readonly pid: number;
	readonly ports: {readonly c2s: number; readonly http: number};
	/** The cookie the node uses: `$HOME/.erlang.cookie` of the ejabberd user (of the root's passwd, in a root). */
	readonly cookieFile: string;
	/** The path the node uses for a path of this process (inside the root); the same path without a root. */
	toNodePath(path: string): string;
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
/** Where Debian's Erlang (and ejabberd's libraries) live, as the node sees it. */
const ERLANG_LIB_ROOT = '/usr/lib/erlang/lib';
const STOP_GRACE_MS = 30_000;
const TAIL_LINES = 20;

interface Running {
	readonly child: ChildProcess;
	readonly pid: number;
	readonly exit: Promise<string>;
	readonly output: string[];
}

/** The node's files, as this process sees them. */
type Layout = Readonly<Record<'dir' | 'ebinDir' | 'configDir' | 'spoolDir' | 'logDir' | 'contribDir' | 'sourcesDir' | 'depsDir', string>>;

/** Start a throwaway ejabberd node of our own, beside (never instead of) the system's. */
export async function startSandboxNode(options: SandboxNodeOptions = {}): Promise<SandboxNode> {
	const name = options.name ?? `reloader_${randomBytes(4).toString('hex')}`;
	const root = options.root === undefined ? undefined : resolve(options.root);
	const baseDir = resolve(options.baseDir ?? (root === undefined ? tmpdir() : join(root, 'compat')));
	const startTimeoutMs = options.startTimeoutMs ?? 60_000;
	const problems = [
		...sandboxOptionProblems({name, baseDir, startTimeoutMs, modules: options.modules, root, erlOptions: options.erlOptions}),
		...moduleNameProblems((options.beams ?? []).map(({module}) => module)).map(problem => `beams: ${problem}`),
	];
	if (problems.length > 0) {
		throw new ReloaderError('ERR_SANDBOX', `Invalid sandbox node options:\n${problems.map(problem => `  - ${problem}`).join('\n')}`);
	}
	if (root === undefined) {
		assertMayRunEjabberdctl();
	} else {
		await assertRootUsable(root);
	}
	const [install, templates, [c2s = 0, http = 0]] = await Promise.all([findSandboxInstall(root), loadSandboxTemplates(), findFreePorts(2)]);
	const {user} = install;
	if (root !== undefined) {
		await mkdir(baseDir, {recursive: true});
	}
	const dir = await mkdtemp(join(baseDir, `${name}-`)).catch((error: unknown) => {
		throw new ReloaderError('ERR_SANDBOX', `Could not create the sandbox node's directory under ${baseDir}`, {cause: error, hint: 'Pass an existing, writable baseDir.'});
	});
	// ejabberdctl takes the copy's path unquoted: keep the package revision's `+` out of it.
	const libCopy = join(dir, 'lib', `ejabberd-${install.version.replace(/[^\w.-]/g, '_')}`);
	const layout: Layout = {dir, ebinDir: join(libCopy, 'ebin'), configDir: join(dir, 'etc'), spoolDir: join(dir, 'spool'), logDir: join(dir, 'logs'), contribDir: join(dir, 'contrib'), sourcesDir: join(dir, 'src'), depsDir: join(dir, 'deps')};
	const host: NodeHost = options.longName === true ? '127.0.0.1' : 'localhost';
	const sandbox = new Sandbox({name, host, install, layout, ports: {c2s, http}, cookieFile: hostPath(install, join(user.home, '.erlang.cookie')), startTimeoutMs});
	try {
		await cp(install.libDir, libCopy, {recursive: true});
		for (const {module, bytes} of options.beams ?? []) {
			await writeFile(join(layout.ebinDir, `${module}.beam`), bytes, {mode: 0o644});
		}
		await Promise.all([mkdir(layout.configDir), mkdir(layout.spoolDir), mkdir(layout.logDir), mkdir(layout.contribDir), mkdir(layout.sourcesDir), mkdir(layout.depsDir)]);
		// Relative links (as Debian 13 links its own `xmpp-1.9.4 -> p1_xmpp-1.9.4`):
		// the same link reaches the same library from this process and from a
		// node chrooted into a root, which sees the lib root without the prefix.
		const aliases = await prepareLibraryAliases(hostPath(install, ERLANG_LIB_ROOT), layout.depsDir, relative(nodePath(install, layout.depsDir), ERLANG_LIB_ROOT));
		const files = renderSandboxConfigs(templates, {
			c2sPort: c2s, httpPort: http, nodeName: name, nodeHost: host, modules: options.modules, erlOptions: options.erlOptions,
			configDir: nodePath(install, layout.configDir), ebinDir: nodePath(install, layout.ebinDir), contribDir: nodePath(install, layout.contribDir),
			libraryAliasDirs: aliases.map(alias => nodePath(install, join(layout.depsDir, alias.name))),
		});
		await Promise.all(Object.entries(files).map(([file, text]) => writeFile(join(layout.configDir, file), text)));
		// mkdtemp gives 0700; the node runs as the ejabberd user and must enter it.
		await chmod(dir, 0o755);
		if (process.getuid?.() === 0) {
			// By the install's own uid: a root's ejabberd user may have another uid than the system's.
			await promisify(execFile)('chown', ['-R', `${user.uid}:${user.gid}`, dir]);
		}
		await ensureErlangCookie({...user, home: hostPath(install, user.home)});
		await sandbox.start(options);
		return sandbox;
	} catch (error) {
		await sandbox.stop();
		throw error;
	}
}

/** What a chrooted node needs from the machine, checked before anything is created. */
async function assertRootUsable(root: string): Promise<void> {
	const hint = 'Prepare the root as test/support/ejabberd-2412.ts does: `mount -t proc proc ROOT/proc`, `mount --bind /dev/pts ROOT/dev/pts`, and an ROOT/etc/hosts naming localhost.';
	if (process.getuid?.() !== 0) {
		throw new ReloaderError('ERR_SANDBOX', `A sandbox node in the root ${root} needs root (chroot); this process runs as uid ${process.getuid?.()}`, {hint: 'Run it as root.'});
	}
	const missing = [];
	for (const [path, what] of [[join(root, 'proc', 'self'), 'proc is not mounted on it'], [join(root, 'etc', 'hosts'), 'it has no etc/hosts (ejabberdctl then fails with nodedown)']] as const) {
		if (!(await access(path).then(() => true, () => false))) {
			missing.push(what);
		}
	}
	if (missing.length > 0) {
		throw new ReloaderError('ERR_SANDBOX', `The root ${root} is not ready for a node: ${missing.join('; ')}`, {hint});
	}
}

interface SandboxSetup {
	readonly name: string;
	readonly host: NodeHost;
	readonly install: SandboxInstall;
	readonly layout: Layout;
	readonly ports: {readonly c2s: number; readonly http: number};
	readonly cookieFile: string;
	readonly startTimeoutMs: number;
}

class Sandbox implements SandboxNode {
	readonly node: string;
	readonly version: string;
	readonly root: string | undefined;
	readonly dir: string;
	readonly ebinDir: string;
	readonly hostEbinDir: string;
	readonly nodeEbinDir: string;
	readonly configDir: string;
	readonly configFile: string;
	readonly logDir: string;
	readonly contribDir: string;
	readonly sourcesDir: string;
	readonly depsDir: string;
	readonly ctlCommand: readonly string[];
	readonly ports: {readonly c2s: number; readonly http: number};
	readonly cookieFile: string;
	readonly #install: SandboxInstall;
	readonly #startTimeoutMs: number;
	#options: SandboxNodeOptions = {};
	#running: Running | undefined;
	#lastPid = 0;
	// start, restart and stop run one after another, never interleaved.
	#queue: Promise<unknown> = Promise.resolve();
	#stopping: Promise<void> | undefined;

	constructor({name, host, install, layout, ports, cookieFile, startTimeoutMs}: SandboxSetup) {
		this.node = `${name}@${host}`;
		this.version = install.version;
		this.root = install.root;
		this.dir = layout.dir;
		this.ebinDir = layout.ebinDir;
		this.hostEbinDir = layout.ebinDir;
		this.nodeEbinDir = nodePath(install, layout.ebinDir);
		this.configDir = layout.configDir;
		this.configFile = join(layout.configDir, 'ejabberd.yml');
		this.logDir = layout.logDir;
		this.contribDir = layout.contribDir;
		this.sourcesDir = layout.sourcesDir;
		this.depsDir = layout.depsDir;
		const options = ['--config-dir', layout.configDir, '--spool', layout.spoolDir, '--logs', layout.logDir].map(arg => arg.startsWith('/') ? nodePath(install, arg) : arg);
		// In a root, ejabberdctl (run as root) switches to the root's ejabberd user itself, with su.
		this.ctlCommand = Object.freeze(install.root === undefined ? [install.ejabberdctl, ...options] : [CHROOT, install.root, install.ejabberdctl, ...options, '--node', this.node]);
		this.ports = Object.freeze({...ports});
		this.cookieFile = cookieFile;
		this.#install = install;
		this.#startTimeoutMs = startTimeoutMs;
		liveSandboxes.add(this);
	}

	toNodePath(path: string): string {
		return nodePath(this.#install, path);
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
		// Our child, in a process group of its own that stop() signals.
		const [file, args, spawnOptions] = this.#asOwner(['foreground']);
		const child = spawn(file, args, {...spawnOptions, detached: true, stdio: ['ignore', 'pipe', 'pipe']});
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
		const [file, argv, options] = this.#asOwner(args);
		return promisify(execFile)(file, argv, {...options, timeout: 30_000}).then(() => true, () => false);
	}

	/**
	 * ejabberdctl with `args`, run directly as the install's ejabberd user rather
	 * than through ejabberdctl's `su`: su puts its child in a new session,
	 * outside the process group we can kill, and killing su would orphan the
	 * Erlang VM. In a root, chroot switches to that user's uid after entering the root.
	 */
	#asOwner(args: readonly string[]): [string, string[], {uid?: number; gid?: number; cwd: string; env: NodeJS.ProcessEnv}] {
		const {root, user, ejabberdctl} = this.#install;
		if (root === undefined) {
			return [ejabberdctl, [...this.ctlCommand.slice(1), ...args], asEjabberdUser(user, this.dir)];
		}
		const env = {...process.env, HOME: user.home, USER: user.name, LOGNAME: user.name};
		return [CHROOT, [`--userspec=${user.uid}:${user.gid}`, root, ...this.ctlCommand.slice(2), ...args], {cwd: '/', env}];
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
