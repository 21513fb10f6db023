import {execFile} from 'node:child_process';
import {access} from 'node:fs/promises';
import {join, resolve} from 'node:path';
import {promisify} from 'node:util';
import {startSandboxNode, type SandboxNode, type SandboxNodeOptions} from '../../daemon/sandbox/sandbox-node.ts';

/**
 * ejabberd 24.12 on Erlang/OTP 27 for the tests: throwaway nodes chrooted into
 * the Debian 13 root that `.ci/debian13-root` builds once per machine. Each
 * node is a sandbox node (daemon/sandbox/sandbox-node.ts) with `root` set: its
 * files live in `ROOT/compat/<name>-XXXXXX/`, the node sees them as
 * `/compat/<name>-XXXXXX/...` (nodeEbinDir) while this process sees them
 * inside the root (hostEbinDir): a container with a mounted volume.
 *
 * The root shares the host's network and so its EPMD: names are unique
 * across both versions (random, and checked against `epmd -names`).
 */

/** Where `.ci/debian13-root` builds the root; `EJABBERD_2412_ROOT` overrides it for both. */
export const EJABBERD_2412_ROOT = resolve(process.env.EJABBERD_2412_ROOT ?? '/var/cache/ejabberd-reloader/trixie-ejabberd');

// Run under flock, so parallel test files (ava runs each in its own process)
// mount once. Nothing unmounts them: another test file may be using the root
// at any moment, and a later run reuses them. They stay until reboot or a
// manual `umount ROOT/dev/pts ROOT/proc` (needed before deleting the root).
const PREPARE_SCRIPT = `set -e
root=$1
mountpoint -q "$root/proc" || mount -t proc proc "$root/proc"
mountpoint -q "$root/dev/pts" || mount --bind /dev/pts "$root/dev/pts"
[ -s "$root/etc/hosts" ] || printf '127.0.0.1\\tlocalhost\\n::1\\tlocalhost ip6-localhost ip6-loopback\\n' > "$root/etc/hosts"
mkdir -p "$root/compat"
`;

const prepared = new Map<string, Promise<string>>();

/**
 * Make the root ready for nodes, once per process: proc on ROOT/proc, /dev/pts
 * bound on ROOT/dev/pts (each only if not mounted yet), ROOT/etc/hosts,
 * ROOT/compat. Fails with what to run when the root was never built.
 */
export function prepareEjabberd2412Root(root = EJABBERD_2412_ROOT): Promise<string> {
	let preparing = prepared.get(root);
	if (preparing === undefined) {
		preparing = prepare(root);
		prepared.set(root, preparing);
		preparing.catch(() => prepared.delete(root));
	}
	return preparing;
}

async function prepare(root: string): Promise<string> {
	if (!(await access(join(root, '.complete')).then(() => true, () => false))) {
		throw new Error(`The Debian 13 root with ejabberd 24.12 is not built: ${join(root, '.complete')} is missing. Build it once per machine with \`sudo .ci/debian13-root\` (\`.ci/setup\` does), about a minute and 300 MB.`);
	}
	if (process.getuid?.() !== 0) {
		throw new Error(`ejabberd 24.12 nodes run chrooted into ${root}: the tests need root (chroot, mount)`);
	}
	await promisify(execFile)('flock', [`${root}.lock`, 'sh', '-c', PREPARE_SCRIPT, 'sh', root], {timeout: 600_000});
	return root;
}

/** Start a throwaway 24.12 node in the root (prepared first); stop() it, as any sandbox node. */
export async function startEjabberd2412Node(options: Omit<SandboxNodeOptions, 'root'> = {}): Promise<SandboxNode> {
	const root = await prepareEjabberd2412Root();
	return startSandboxNode({...options, root});
}
