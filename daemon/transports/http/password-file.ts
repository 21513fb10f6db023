import {open} from 'node:fs/promises';
import {ReloaderError, errorMessage} from '../../errors.ts';

/**
 * The basic auth password, read from its own file so that it stays out of the
 * config, argv and the environment. Errors and warnings name the FILE, never
 * its content.
 */
export interface PasswordRead {
	readonly password: string;
	readonly warnings: readonly string[];
}

export async function readPasswordFile(file: string): Promise<PasswordRead> {
	let text: string;
	let mode: number;
	try {
		const handle = await open(file, 'r');
		try {
			mode = (await handle.stat()).mode;
			text = await handle.readFile('utf8');
		} finally {
			await handle.close();
		}
	} catch (error) {
		// The fs error names the path and errno only.
		throw new ReloaderError('ERR_CONFIG_READ', `Cannot read the ejabberd API password file ${file} (http.passwordFile): ${errorMessage(error)}`, {
			cause: error,
			hint: 'Create the file with the password of http.user on one line, readable by the daemon\'s user only (chmod 600).',
		});
	}
	// `echo pw > file` adds a newline; anything else, spaces included, may be part of the password.
	const password = text.replace(/[\r\n]+$/, '');
	if (password === '') {
		throw new ReloaderError('ERR_CONFIG_INVALID', `The ejabberd API password file ${file} (http.passwordFile) is empty`, {
			hint: 'Write the password of http.user into it, on one line.',
		});
	}
	const warnings = (mode & 0o077) === 0 ? [] : [
		`The ejabberd API password file ${file} is open to ${describeAccess(mode)} (mode ${(mode & 0o777).toString(8)}): whoever reads it can reload code on the node. Run \`chmod 600 ${file}\`.`,
	];
	return {password, warnings};
}

function describeAccess(mode: number): string {
	const group = (mode & 0o070) !== 0;
	const others = (mode & 0o007) !== 0;
	return group && others ? 'its group and others' : group ? 'its group' : 'others';
}
