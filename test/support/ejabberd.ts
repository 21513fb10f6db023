import {execFile} from 'node:child_process';
import {readdir, stat} from 'node:fs/promises';
import {dirname} from 'node:path';
import type {ExecutionContext, TestFn} from 'ava';
import {startSandboxNode, type SandboxNode, type SandboxNodeOptions} from '../../daemon/sandbox/sandbox-node.ts';
import {startEjabberd2412Node} from './ejabberd-2412.ts';

const ERLANG_LIB = '/usr/lib/erlang/lib';

// ava ends a worker that timed out or was interrupted with SIGTERM, and a
// signal's default action skips 'exit' handlers: turn it into an exit so
// sandbox-node's handler kills the nodes this worker started.
for (const [signal, code] of [['SIGTERM', 143], ['SIGINT', 130]] as const) {
	process.once(signal, () => process.exit(code));
}

/** The ejabberd versions the tests run nodes of: the system's (Debian 12) and the Debian 13 root's. */
export const EJABBERD_VERSIONS = ['23.01', '24.12'] as const;
export type EjabberdVersion = (typeof EJABBERD_VERSIONS)[number];

export interface TestNodeOptions extends Omit<SandboxNodeOptions, 'root'> {
	/** 23.01 (OTP 25, the system's install) or 24.12 (OTP 27, chrooted in the Debian 13 root). Default: 23.01. */
	readonly ejabberd?: EjabberdVersion;
}

/** How long a test node may take to start, unless the test says otherwise. */
const START_TIMEOUT_MS = 180_000;
/** Starts tried when a port the node was given is taken meanwhile. */
const START_ATTEMPTS = 3;

/**
 * Start a throwaway node of the given ejabberd version. Its ports were free a
 * moment before it binds them; another process (a test file running beside,
 * an outgoing connection) can take one first: such a start (eaddrinuse) is
 * cleaned up by the sandbox and tried again with fresh ports.
 */
export async function startTestNode({ejabberd = '23.01', ...given}: TestNodeOptions = {}): Promise<SandboxNode> {
	// A loaded CI machine (other node-starting work beside, load 6 to 34 on 2 cores) took over the
	// sandbox's own 60 s to answer `ejabberdctl status`: a slow start is not the failure under test.
	const options = {startTimeoutMs: START_TIMEOUT_MS, ...given};
	for (let attempt = 1; ; attempt++) {
		try {
			return await (ejabberd === '24.12' ? startEjabberd2412Node(options) : startSandboxNode(options));
		} catch (error) {
			if (attempt >= START_ATTEMPTS || !(error instanceof Error) || !/eaddrinuse/i.test(error.message) || options.signal?.aborted === true) {
				throw error;
			}
		}
	}
}

/**
 * One sandbox node for a whole test file: started before the first test,
 * stopped after the last one even when tests fail. Call the returned function
 * inside a test to get the node.
 */
export function useSandboxNode(test: TestFn, options: TestNodeOptions = {}): () => SandboxNode {
	let node: SandboxNode | undefined;
	test.serial.before(async () => {
		node = await startTestNode(options);
	});
	test.after.always(async () => {
		await node?.stop();
	});
	return () => {
		if (node === undefined) {
			throw new Error('The sandbox node is not running: its test.before hook failed or has not run yet');
		}
		return node;
	};
}

/** A node of its own for one test (for tests that stop or restart it), stopped in t.teardown. */
export async function withSandboxNode(t: ExecutionContext, options: TestNodeOptions = {}): Promise<SandboxNode> {
	const node = await startTestNode(options);
	t.teardown(() => node.stop());
	return node;
}

/**
 * Evaluate Erlang expressions in the node and return what erl_call prints
 * for the value, e.g. `"/tmp/.../ebin/ejabberd.beam"`, `false`, `{ok, 1}`.
 * erl_call runs as the owner of the node's cookie file, with HOME set to that
 * file's directory, so that it reads the cookie from `$HOME/.erlang.cookie`:
 * the cookie never appears on a command line. That holds for a 23.01 node and
 * for one chrooted in the 24.12 root alike (the cookie is then inside the
 * root, owned by the root's ejabberd uid; this OTP 25 erl_call reaches the
 * OTP 27 node). The expressions travel on stdin; a final `.` is added if missing.
 */
export async function nodeCall(node: SandboxNode, expr: string): Promise<string> {
	const [erlCall, owner] = await Promise.all([findErlCall(), stat(node.cookieFile)]);
	const ids = process.getuid?.() === 0 ? {uid: owner.uid, gid: owner.gid} : {};
	const forms = /\.\s*$/.test(expr) ? expr : `${expr}.`;
	const printed = await new Promise<string>((resolve, reject) => {
		// A host part with a dot is a long name (-name), as ejabberdctl started it.
		const nameFlag = node.node.split('@')[1]?.includes('.') === true ? '-name' : '-sname';
		const child = execFile(erlCall, [nameFlag, node.node, '-timeout', '60', '-e'], {...ids, cwd: '/', env: {HOME: dirname(node.cookieFile)}}, (error, stdout, stderr) => {
			if (error) {
				reject(new Error(`erl_call to ${node.node} failed (${error.code ?? error.message}): ${stderr || stdout}`, {cause: error}));
			} else {
				resolve(stdout.trim());
			}
		});
		// erl_call -e reads until end of input and wants the last form ended by a newline.
		child.stdin?.end(`${forms}\n`);
	});
	// erl_call exits 0 even when evaluation fails; only the printed tuple tells.
	const ok = /^\{ok, ([\s\S]*)\}$/.exec(printed);
	if (ok?.[1] === undefined) {
		throw new Error(`Evaluating \`${expr}\` in ${node.node} failed: ${printed}`);
	}
	return ok[1];
}

/** Run `ejabberdctl <command...>` against the node the way the daemon's ctl transport does. */
export function runCtl(node: SandboxNode, ...command: string[]): Promise<{readonly code: number; readonly stdout: string; readonly stderr: string}> {
	const [file = '', ...prefix] = node.ctlCommand;
	return new Promise(resolve => {
		execFile(file, [...prefix, ...command], {timeout: 60_000}, (error, stdout, stderr) => {
			resolve({code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr});
		});
	});
}

let erlCallPath: Promise<string> | undefined;

/** erl_call ships inside erl_interface-<version>, which changes with every OTP release. */
export function findErlCall(): Promise<string> {
	erlCallPath ??= readdir(ERLANG_LIB).then(names => {
		const dir = names.filter(name => name.startsWith('erl_interface-')).sort((a, b) => b.localeCompare(a, 'en', {numeric: true}))[0];
		if (dir === undefined) {
			throw new Error(`erl_call not found: no erl_interface-* under ${ERLANG_LIB}; install erlang-base (apt-get install ejabberd pulls it in)`);
		}
		return `${ERLANG_LIB}/${dir}/bin/erl_call`;
	});
	return erlCallPath;
}
