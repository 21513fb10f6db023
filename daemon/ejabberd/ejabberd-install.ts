import {randomBytes, randomInt} from 'node:crypto';
import {constants} from 'node:fs';
import {access, chown, link, lstat, readFile, readdir, rm, writeFile} from 'node:fs/promises';
import {userInfo} from 'node:os';
import {join} from 'node:path';
import {ReloaderError} from '../errors.ts';

export interface EjabberdInstall {
	/** `/usr/sbin/ejabberdctl`. */
	readonly ejabberdctl: string;
	/** The versioned lib dir, e.g. `/usr/lib/x86_64-linux-gnu/ejabberd-23.01-1`. */
	readonly libDir: string;
	readonly ebinDir: string;
	/** The lib dir's suffix, e.g. `23.01-1`. */
	readonly version: string;
}

/** The system user ejabberdctl insists on (it exits 7 for anyone but root and this user). */
export interface EjabberdUser {
	readonly name: string;
	readonly uid: number;
	readonly gid: number;
	/** Where the node's Erlang cookie lives (`$HOME/.erlang.cookie`). */
	readonly home: string;
}

const EJABBERDCTL = '/usr/sbin/ejabberdctl';
const LIB_PARENT = '/usr/lib/x86_64-linux-gnu';
const USER_NAME = 'ejabberd';
const INSTALL_HINT = 'Install it with `sudo apt-get update && sudo apt-get install -y ejabberd` (Debian/Ubuntu); `.ci/setup` in this repository does exactly that.';

/** Find the Debian ejabberd package's files. */
export async function findEjabberdInstall(): Promise<EjabberdInstall> {
	if (!(await isExecutable(EJABBERDCTL))) {
		throw missing(`${EJABBERDCTL} does not exist or is not executable`);
	}
	const libDir = await findLibDir();
	return Object.freeze({ejabberdctl: EJABBERDCTL, libDir, ebinDir: join(libDir, 'ebin'), version: libDir.slice(libDir.lastIndexOf('/ejabberd-') + '/ejabberd-'.length)});
}

/**
 * Options for execFile/spawn that run a command as the ejabberd user, with the
 * HOME `su` would set, so the command reads the same cookie file. As root we
 * take that identity ourselves; as that user already, nothing changes.
 */
export function asEjabberdUser(user: EjabberdUser, cwd: string): {uid?: number; gid?: number; cwd: string; env: NodeJS.ProcessEnv} {
	const ids = process.getuid?.() === 0 ? {uid: user.uid, gid: user.gid} : {};
	return {...ids, cwd, env: {...process.env, HOME: user.home, USER: user.name, LOGNAME: user.name}};
}

/** Look the `ejabberd` user up in /etc/passwd (Node has no getpwnam). */
export async function findEjabberdUser(passwdFile = '/etc/passwd'): Promise<EjabberdUser> {
	const passwd = await readFile(passwdFile, 'utf8').catch((error: unknown) => {
		throw new ReloaderError('ERR_EJABBERD_MISSING', `Could not read ${passwdFile} to find the ${USER_NAME} user`, {cause: error});
	});
	const user = parsePasswd(passwd).find(entry => entry.name === USER_NAME);
	if (user === undefined) {
		throw missing(`there is no \`${USER_NAME}\` user in ${passwdFile}`);
	}
	return user;
}

export function parsePasswd(text: string): EjabberdUser[] {
	return text.split('\n').flatMap(line => {
		const [name, , uid, gid, , home] = line.split(':');
		if (name === undefined || uid === undefined || gid === undefined || home === undefined || !/^\d+$/.test(uid) || !/^\d+$/.test(gid)) {
			return [];
		}
		return [Object.freeze({name, uid: Number(uid), gid: Number(gid), home})];
	});
}

// The lib dir is named after the package version; the unversioned
// `ejabberd-23.01` next to it is a symlink, and ERL_LIBS must not see one
// application twice in our copy.
async function findLibDir(): Promise<string> {
	const names = await readdir(LIB_PARENT).catch(() => [] as string[]);
	const candidates: string[] = [];
	for (const name of names.filter(entry => /^ejabberd-\d/.test(entry)).sort(compareVersions).reverse()) {
		const dir = join(LIB_PARENT, name);
		const stats = await lstat(dir).catch(() => undefined);
		if (stats?.isDirectory() === true && (await isReadable(join(dir, 'ebin', 'ejabberd.beam')))) {
			candidates.push(dir);
		}
	}
	const found = candidates[0];
	if (found === undefined) {
		throw missing(`no ejabberd-<version> directory with ebin/ejabberd.beam under ${LIB_PARENT}`);
	}
	return found;
}

/** ejabberdctl exits 7 for anyone but root and the ejabberd user: say so before it does. */
export function assertMayRunEjabberdctl(): void {
	const user = userInfo();
	if (user.uid !== 0 && user.username !== USER_NAME) {
		throw new ReloaderError('ERR_SANDBOX', `ejabberdctl only runs for root or the ${USER_NAME} user (it exits 7 otherwise); this process runs as \`${user.username}\` (uid ${user.uid})`, {
			hint: `Run it as root (\`sudo\`), or as the ${USER_NAME} user (\`sudo -u ${USER_NAME} ...\`).`,
		});
	}
}

function missing(what: string): ReloaderError {
	return new ReloaderError('ERR_EJABBERD_MISSING', `ejabberd is not installed: ${what}. ${INSTALL_HINT}`, {hint: INSTALL_HINT});
}

function compareVersions(a: string, b: string): number {
	return a.localeCompare(b, 'en', {numeric: true});
}

async function isExecutable(path: string): Promise<boolean> {
	return access(path, constants.X_OK).then(() => true, () => false);
}

async function isReadable(path: string): Promise<boolean> {
	return access(path, constants.R_OK).then(() => true, () => false);
}

/**
 * Make sure `<home>/.erlang.cookie` exists before a node starts. The node would
 * create it itself, but two nodes booting at once on a fresh machine (parallel
 * test files) race: one can read the file while the other has only created it.
 * We publish it atomically instead (link() fails if it already exists). Its
 * content never leaves this function.
 */
export async function ensureErlangCookie(user: EjabberdUser): Promise<string> {
	const cookieFile = join(user.home, '.erlang.cookie');
	if (await exists(cookieFile)) {
		return cookieFile;
	}
	const staging = join(user.home, `.erlang.cookie.${process.pid}.${randomBytes(4).toString('hex')}`);
	const cookie = Array.from({length: 20}, () => String.fromCharCode(65 + randomInt(26))).join('');
	try {
		await writeFile(staging, cookie, {mode: 0o400, flag: 'wx'});
		await chown(staging, user.uid, user.gid);
		await link(staging, cookieFile).catch((error: unknown) => {
			if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
				throw error;
			}
		});
	} catch (error) {
		throw new ReloaderError('ERR_SANDBOX', `Could not create the Erlang cookie ${cookieFile} for the ${user.name} user`, {cause: error});
	} finally {
		await rm(staging, {force: true});
	}
	return cookieFile;
}

async function exists(path: string): Promise<boolean> {
	return access(path).then(() => true, () => false);
}
