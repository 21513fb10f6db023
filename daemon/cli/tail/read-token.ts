import {checkToken} from '../../api/token-file.ts';
import {ReloaderError, errorMessage} from '../../errors.ts';
import {readSecretFile, type SecretFile} from '../../secrets/read-secret-file.ts';

/**
 * The API token for `tail`, from a file: a token in argv would show in `ps`
 * and the shell's history. Errors name the file, never its content.
 */
export async function readTailToken(file: string, warn: (message: string) => void): Promise<string> {
	let read: SecretFile;
	try {
		read = await readSecretFile(file, {encoding: 'utf8', what: 'API token file', chmod: '600'});
	} catch (error) {
		throw new ReloaderError('ERR_CONFIG_READ', `Cannot read the API token file ${file} (--token-file or EJABBERD_RELOADER_TOKEN_FILE): ${errorMessage(error)}`, {
			cause: error,
			hint: 'Give the file the daemon\'s api.tokenFile names, readable by your user.',
		});
	}
	const token = read.text.trim();
	if (token === '') {
		throw new ReloaderError('ERR_CONFIG_INVALID', `The API token file ${file} (--token-file) is empty`, {
			hint: 'Give the file the daemon\'s api.tokenFile names.',
		});
	}
	checkToken(token, `the API token in ${file} (--token-file)`);
	if (read.openWarning !== undefined) {
		warn(read.openWarning);
	}
	return token;
}
