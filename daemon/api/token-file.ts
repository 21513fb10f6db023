import {readSecretFile, type SecretFile} from '../secrets/read-secret-file.ts';
import {ReloaderError, errorMessage} from '../errors.ts';

const MIN_TOKEN_LENGTH = 16;

/**
 * The API's bearer token, read once at start from its own file so that it
 * stays out of the config, argv and the environment. Errors and warnings name
 * the FILE, never its content.
 */
export async function readTokenFile(file: string, warn: (message: string) => void): Promise<string> {
	let read: SecretFile;
	try {
		read = await readSecretFile(file, {encoding: 'utf8', what: 'API token file', chmod: '600'});
	} catch (error) {
		// The fs error names the path and errno only.
		throw new ReloaderError('ERR_CONFIG_READ', `Cannot read the API token file ${file} (api.tokenFile): ${errorMessage(error)}`, {
			cause: error,
			hint: 'Create it with a random token of at least 16 characters on one line (e.g. `openssl rand -hex 32 > FILE`), readable by the daemon\'s user only (chmod 600).',
		});
	}
	const token = read.text.trim();
	if (token === '') {
		throw new ReloaderError('ERR_CONFIG_INVALID', `The API token file ${file} (api.tokenFile) is empty`, {
			hint: 'Write a random token of at least 16 characters into it, e.g. `openssl rand -hex 32 > FILE`.',
		});
	}
	checkToken(token, `the API token in ${file} (api.tokenFile)`);
	if (read.openWarning !== undefined) {
		warn(read.openWarning);
	}
	return token;
}

/** A token must fit in one `Authorization: Bearer <token>` header; `what` names where it came from, never the token. */
export function checkToken(token: string, what: string): void {
	if (/\s/.test(token)) {
		throw new ReloaderError('ERR_CONFIG_INVALID', `${what} contains whitespace, so it cannot be sent as \`Authorization: Bearer <token>\``, {
			hint: 'Use one word, e.g. the output of `openssl rand -hex 32`.',
		});
	}
	if (token.length < MIN_TOKEN_LENGTH) {
		throw new ReloaderError('ERR_CONFIG_INVALID', `${what} has ${token.length} characters; at least ${MIN_TOKEN_LENGTH} are needed`, {
			hint: 'Use a longer random token, e.g. the output of `openssl rand -hex 32`.',
		});
	}
}
