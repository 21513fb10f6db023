import {constants} from 'node:fs';
import {access} from 'node:fs/promises';
import {userInfo} from 'node:os';
import {join} from 'node:path';
import {readSecretFile, type SecretFile} from '../../secrets/read-secret-file.ts';
import {ReloaderError, errorMessage} from '../../errors.ts';

/**
 * The cookie grants arbitrary code execution on the node. It is read here and
 * handed on only as a value to close over: errors and warnings name the FILE,
 * never its content.
 */
export interface CookieRead {
	readonly cookie: string;
	readonly warnings: readonly string[];
}

/** ejabberd's own cookie on Debian: the `ejabberd` user's `$HOME/.erlang.cookie`. */
export const EJABBERD_COOKIE_FILE = '/var/lib/ejabberd/.erlang.cookie';

/** Who the daemon runs as, for the order of the default cookie files. */
export interface CookieUser {
	readonly uid: number;
	readonly username: string;
	/** `$HOME`; undefined or empty: no home cookie. */
	readonly home: string | undefined;
}

/**
 * Where a cookie is usually found. Run as root or as the `ejabberd` user, the
 * daemon is there to reach ejabberd, whose cookie is ejabberd's own: root's
 * `~/.erlang.cookie` (left by some other Erlang tool) would fail the
 * handshake, so ejabberd's comes first. Anyone else: `$HOME`'s first.
 */
export function defaultCookieFiles(user: CookieUser = currentCookieUser()): string[] {
	const home = user.home === undefined || user.home === '' ? [] : [join(user.home, '.erlang.cookie')].filter(file => file !== EJABBERD_COOKIE_FILE);
	const ejabberdFirst = user.uid === 0 || user.username === 'ejabberd';
	return ejabberdFirst ? [EJABBERD_COOKIE_FILE, ...home] : [...home, EJABBERD_COOKIE_FILE];
}

function currentCookieUser(): CookieUser {
	let username = '';
	try {
		username = userInfo().username;
	} catch {
		// No passwd entry for this uid (a container's arbitrary uid): only the uid counts.
	}
	return {uid: process.getuid?.() ?? -1, username, home: process.env['HOME']};
}

/**
 * The configured file when given (even unreadable: reading it then reports
 * why), else the first readable default.
 */
export async function findReadableCookieFile(configured?: string, user?: CookieUser): Promise<string | undefined> {
	if (configured !== undefined) {
		return configured;
	}
	for (const file of defaultCookieFiles(user)) {
		if (await access(file, constants.R_OK).then(() => true, () => false)) {
			return file;
		}
	}
	return undefined;
}

/** Read a cookie file: trailing whitespace trimmed, latin1 as Erlang reads it. */
export async function readCookie(file: string): Promise<CookieRead> {
	let read: SecretFile;
	try {
		read = await readSecretFile(file, {encoding: 'latin1', what: 'Erlang cookie file', chmod: '400'});
	} catch (error) {
		// The cause is the fs error: it names the path and errno, never the content.
		throw new ReloaderError('ERR_COOKIE', `Cannot read the Erlang cookie file ${file}: ${errorMessage(error)}`, {
			cause: error,
			hint: 'Run the daemon as a user that can read the node\'s cookie (root, or the ejabberd user), or set cookieFile to a readable copy with mode 400.',
		});
	}
	const cookie = read.text.trimEnd();
	if (cookie === '') {
		throw new ReloaderError('ERR_COOKIE', `The Erlang cookie file ${file} is empty`, {
			hint: 'Point cookieFile at the cookie the node uses (the ejabberd user\'s ~/.erlang.cookie).',
		});
	}
	return {cookie, warnings: read.openWarning === undefined ? [] : [read.openWarning]};
}
