import {readSecretFile, type SecretFile} from '../../secrets/read-secret-file.ts';
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
	let read: SecretFile;
	try {
		read = await readSecretFile(file, {encoding: 'utf8', what: 'ejabberd API password file', chmod: '600'});
	} catch (error) {
		// The fs error names the path and errno only.
		throw new ReloaderError('ERR_CONFIG_READ', `Cannot read the ejabberd API password file ${file} (http.passwordFile): ${errorMessage(error)}`, {
			cause: error,
			hint: 'Create the file with the password of http.user on one line, readable by the daemon\'s user only (chmod 600).',
		});
	}
	// `echo pw > file` adds a newline; anything else, spaces included, may be part of the password.
	const password = read.text.replace(/[\r\n]+$/, '');
	if (password === '') {
		throw new ReloaderError('ERR_CONFIG_INVALID', `The ejabberd API password file ${file} (http.passwordFile) is empty`, {
			hint: 'Write the password of http.user into it, on one line.',
		});
	}
	return {password, warnings: read.openWarning === undefined ? [] : [read.openWarning]};
}
