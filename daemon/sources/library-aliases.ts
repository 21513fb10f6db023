import {lstat, mkdir, readdir, readlink, rename, rm, symlink} from 'node:fs/promises';
import {join} from 'node:path';
import {ReloaderError, errorMessage, quoteUntrusted} from '../errors.ts';

/** One directory of the Erlang lib root, and the applications its `ebin/*.app` files name. */
export interface LibraryEntry {
	/** `p1_xmpp-1.6.1`. */
	readonly dirName: string;
	/** `['xmpp']`; empty when the ebin holds no `.app` file (or was not read). */
	readonly appNames: readonly string[];
}

/** A link `aliasDir/<name> -> <target>`. */
export interface AliasLink {
	readonly name: string;
	readonly target: string;
}

// Debian ships ejabberd's libraries as `p1_<package>-<version>`; the version
// starts with a digit, as OTP's own `<app>-<vsn>` names do.
const P1_LIBRARY = /^p1_([a-z][a-z0-9_]*)-(\d[\w.+~-]*)$/;
/** An application name that is safe as one path component (no `/`, never `.` or `..`). */
const APP_NAME = /^[a-z][a-zA-Z0-9_]*$/;

/**
 * The links that give Debian's `p1_*` libraries the names sources use:
 * `-include_lib("xmpp/include/xmpp.hrl")` resolves through a code path
 * directory named `xmpp` or `xmpp-<vsn>`, and Debian 12 has only
 * `p1_xmpp-1.6.1` (Debian 13 adds `xmpp-1.9.4` links itself). Each library
 * is linked under the application its `.app` file names (`p1_xml` is
 * `fast_xml`, `p1_utils` stays `p1_utils`), or without the `p1_` when it has
 * none. With this directory on ERL_LIBS, erlc finds them as ejabberd does;
 * and `<aliasDir>/<app>/include` is where compile-options.ts finds the
 * include directories ext_mod passes. Two versions of one library: the
 * newest wins.
 */
export function planLibraryAliases(libRoot: string, entries: readonly LibraryEntry[]): readonly AliasLink[] {
	const chosen = new Map<string, {dirName: string; version: string}>();
	for (const {dirName, appNames} of entries) {
		const match = P1_LIBRARY.exec(dirName);
		if (match === null) {
			continue;
		}
		const [, stripped = '', version = ''] = match;
		const name = appNames.length === 1 ? appNames[0] ?? stripped : stripped;
		if (!APP_NAME.test(name)) {
			continue;
		}
		const previous = chosen.get(name);
		if (previous === undefined || compareVersions(version, previous.version) > 0) {
			chosen.set(name, {dirName, version});
		}
	}
	return [...chosen].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, {dirName}]) => Object.freeze({name, target: join(libRoot, dirName)}));
}

/** The lib root's directories and the `.app` files in each one's ebin, for planLibraryAliases. */
export async function listLibraries(libRoot: string): Promise<LibraryEntry[]> {
	let names: string[];
	try {
		names = await readdir(libRoot);
	} catch (error) {
		throw new ReloaderError('ERR_COMPILE_SETUP', `Cannot list the Erlang libraries in ${shownPath(libRoot)}: ${errorMessage(error)}`, {
			cause: error,
			hint: 'Check the Erlang lib root (Debian: /usr/lib/erlang/lib) and that ejabberd\'s libraries (erlang-p1-*) are installed there.',
		});
	}
	return Promise.all(names.filter(name => P1_LIBRARY.test(name)).sort().map(async dirName => {
		const ebin = await readdir(join(libRoot, dirName, 'ebin')).catch(() => [] as string[]);
		return {dirName, appNames: ebin.filter(file => file.endsWith('.app')).map(file => file.slice(0, -'.app'.length)).sort()};
	}));
}

/**
 * Make `aliasDir` hold exactly `links`, and write nowhere else: a missing
 * link is created, one pointing elsewhere replaced (a new link renamed over
 * it, so a running erlc never sees none), a link no longer planned removed
 * (a library Debian upgraded away). Anything there that is no symlink is
 * left alone and reported: this directory is the caller's private one, so
 * something else in it means a wrong path.
 */
export async function writeLibraryAliases(aliasDir: string, links: readonly AliasLink[]): Promise<void> {
	try {
		// Not recursive: a mistyped path must not grow directories elsewhere.
		await mkdir(aliasDir, {mode: 0o700}).catch((error: unknown) => {
			if (!isErrno(error, 'EEXIST')) {
				throw error;
			}
		});
		const wanted = new Map(links.map(link => [checkedName(link.name), link.target]));
		for (const present of await readdir(aliasDir)) {
			if (!wanted.has(present) && (await lstat(join(aliasDir, present))).isSymbolicLink()) {
				await rm(join(aliasDir, present), {force: true});
			}
		}
		for (const [name, target] of wanted) {
			await placeLink(aliasDir, name, target);
		}
	} catch (error) {
		throw error instanceof ReloaderError ? error : new ReloaderError('ERR_COMPILE_SETUP', `Cannot write the library aliases in ${shownPath(aliasDir)}: ${errorMessage(error)}`, {
			cause: error,
			hint: 'The alias directory must be writable by the daemon\'s user; it is recreated on the next start.',
		});
	}
}

/**
 * List, plan, write: `aliasDir` made ready for ERL_LIBS; the links written
 * returned. `linkRoot` is the lib root as the links name it, when the one
 * who follows them sees it elsewhere than this process lists it: e.g. a
 * path relative to `aliasDir` for a node chrooted into a root. Default: `libRoot`.
 */
export async function prepareLibraryAliases(libRoot: string, aliasDir: string, linkRoot = libRoot): Promise<readonly AliasLink[]> {
	const links = planLibraryAliases(linkRoot, await listLibraries(libRoot));
	await writeLibraryAliases(aliasDir, links);
	return links;
}

async function placeLink(aliasDir: string, name: string, target: string): Promise<void> {
	const path = join(aliasDir, name);
	const present = await readlink(path).catch((error: unknown) => {
		if (isErrno(error, 'ENOENT')) {
			return undefined;
		}
		if (isErrno(error, 'EINVAL')) {
			throw new ReloaderError('ERR_COMPILE_SETUP', `${shownPath(path)} is no symbolic link, so it cannot be made the alias of ${shownPath(target)}; left alone`, {
				hint: 'Give the compiler an alias directory of its own (nothing else should be in it), or remove what is there.',
			});
		}
		throw error;
	});
	if (present === target) {
		return;
	}
	if (present === undefined) {
		await symlink(target, path);
		return;
	}
	const fresh = join(aliasDir, `.${name}.${process.pid}.new`);
	await rm(fresh, {force: true});
	await symlink(target, fresh);
	await rename(fresh, path);
}

function checkedName(name: string): string {
	if (!APP_NAME.test(name)) {
		throw new ReloaderError('ERR_COMPILE_SETUP', `Refusing the library alias name ${shownPath(name)}: expected an Erlang application name such as \`xmpp\``, {
			hint: 'Alias names come from planLibraryAliases; this is a bug in the caller.',
		});
	}
	return name;
}

/** A path in a message: file names are not ours, so control characters are escaped. */
function shownPath(path: string): string {
	return quoteUntrusted(path, 300);
}

function isErrno(error: unknown, code: string): boolean {
	return error instanceof Error && 'code' in error && error.code === code;
}

/** Numeric parts compared as numbers (`1.10` after `1.9`), anything else as text. */
function compareVersions(a: string, b: string): number {
	const left = a.split(/[.+~-]/);
	const right = b.split(/[.+~-]/);
	for (let index = 0; index < Math.max(left.length, right.length); index++) {
		const x = left[index] ?? '';
		const y = right[index] ?? '';
		const difference = /^\d+$/.test(x) && /^\d+$/.test(y) ? Number(x) - Number(y) : x.localeCompare(y);
		if (difference !== 0) {
			return Math.sign(difference);
		}
	}
	return 0;
}
