import {constants} from 'node:fs';
import {access} from 'node:fs/promises';
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

/** Where a cookie is usually found: ours, then the Debian ejabberd user's. */
export function defaultCookieFiles(): string[] {
	const home = process.env['HOME'];
	const files = home === undefined || home === '' ? [] : [join(home, '.erlang.cookie')];
	return [...files, '/var/lib/ejabberd/.erlang.cookie'];
}

/**
 * The configured file when given (even unreadable: reading it then reports
 * why), else the first readable default.
 */
export async function findReadableCookieFile(configured?: string): Promise<string | undefined> {
	if (configured !== undefined) {
		return configured;
	}
	for (const file of defaultCookieFiles()) {
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
