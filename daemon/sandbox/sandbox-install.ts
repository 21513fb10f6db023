import {constants} from 'node:fs';
import {access, lstat, readdir} from 'node:fs/promises';
import {join, relative, resolve} from 'node:path';
import {ReloaderError} from '../errors.ts';
import {findEjabberdInstall, findEjabberdUser, type EjabberdUser} from '../ejabberd/ejabberd-install.ts';

/**
 * The ejabberd a sandbox node runs: the system's own install, or one inside a
 * root directory the node is chrooted into (the tests' Debian 13 root with
 * ejabberd 24.12). A node in a root sees its files without the root's prefix,
 * exactly like a container with a mounted volume: every path here says which
 * side it is on.
 */
export interface SandboxInstall {
	/** The directory the node is chrooted into; undefined for the system's install. */
	readonly root: string | undefined;
	/** ejabberdctl as the node sees it: `/usr/sbin/ejabberdctl`. */
	readonly ejabberdctl: string;
	/** The versioned lib dir as this process sees it (the sandbox copies it). */
	readonly libDir: string;
	/** The lib dir's suffix, e.g. `23.01-1` or `24.12-3+deb13u2`. */
	readonly version: string;
	/** The install's ejabberd user; its `home` as the node sees it, its uid from the install's own passwd. */
	readonly user: EjabberdUser;
}

const EJABBERDCTL = '/usr/sbin/ejabberdctl';
const LIB_PARENT = '/usr/lib/x86_64-linux-gnu';
/** coreutils' chroot: runs a command in the root as a given uid:gid (it must be started as root). */
export const CHROOT = '/usr/sbin/chroot';

/** The system's install (no root), or the one inside `root`. */
export async function findSandboxInstall(root?: string): Promise<SandboxInstall> {
	if (root === undefined) {
		const [install, user] = await Promise.all([findEjabberdInstall(), findEjabberdUser()]);
		return Object.freeze({root: undefined, ejabberdctl: install.ejabberdctl, libDir: install.libDir, version: install.version, user});
	}
	const absoluteRoot = resolve(root);
	const [libDir, user] = await Promise.all([findRootLibDir(absoluteRoot), findEjabberdUser(join(absoluteRoot, 'etc', 'passwd'))]);
	if (!(await access(join(absoluteRoot, EJABBERDCTL), constants.X_OK).then(() => true, () => false))) {
		throw rootProblem(absoluteRoot, `${join(absoluteRoot, EJABBERDCTL)} does not exist or is not executable`);
	}
	return Object.freeze({root: absoluteRoot, ejabberdctl: EJABBERDCTL, libDir, version: libDir.slice(libDir.lastIndexOf('/ejabberd-') + '/ejabberd-'.length), user});
}

/** Where this process finds a path the node names: the same path, or inside the root. */
export function hostPath(install: SandboxInstall, nodePath: string): string {
	return install.root === undefined ? nodePath : join(install.root, nodePath);
}

/** The path the node uses for one this process names; it must lie inside the root. */
export function nodePath(install: SandboxInstall, path: string): string {
	if (install.root === undefined) {
		return path;
	}
	const inside = relative(install.root, path);
	if (inside.startsWith('..') || inside.startsWith('/')) {
		throw new ReloaderError('ERR_SANDBOX', `${path} is outside the root ${install.root}: a node chrooted there cannot see it`);
	}
	return `/${inside}`;
}

// As for the system's install: the versioned directory, not the unversioned
// symlink next to it (`ejabberd-24.12 -> ejabberd-24.12-3+deb13u2`).
async function findRootLibDir(root: string): Promise<string> {
	const parent = join(root, LIB_PARENT);
	const names = await readdir(parent).catch(() => [] as string[]);
	const sorted = names.filter(name => /^ejabberd-\d/.test(name)).sort((a, b) => b.localeCompare(a, 'en', {numeric: true}));
	for (const name of sorted) {
		const dir = join(parent, name);
		const stats = await lstat(dir).catch(() => undefined);
		if (stats?.isDirectory() === true && (await access(join(dir, 'ebin', 'ejabberd.beam'), constants.R_OK).then(() => true, () => false))) {
			return dir;
		}
	}
	throw rootProblem(root, `no ejabberd-<version> directory with ebin/ejabberd.beam under ${parent}`);
}

function rootProblem(root: string, what: string): ReloaderError {
	return new ReloaderError('ERR_EJABBERD_MISSING', `The root ${root} holds no usable ejabberd: ${what}`, {
		hint: 'Build the root with `.ci/debian13-root` (Debian 13 with ejabberd 24.12), or point the root option at one that has ejabberd installed.',
	});
}
