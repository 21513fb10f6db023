import {readSmallFile} from '../../secrets/read-small-file.ts';
import {readSecretFile, SECRET_READ_TIMEOUT_MS} from '../../secrets/read-secret-file.ts';
import {ReloaderError, errorMessage} from '../../errors.ts';
import {createDistTlsContext, type DistTlsOptions} from '../../lib/erlang-dist/index.ts';

/** config `dist.tls`: PEM files for TLS distribution (`-proto_dist inet_tls`). */
export interface DistTlsFiles {
	/** The daemon's client certificate (a chain may follow it). */
	readonly certFile: string;
	/** Its private key: a secret, read like the cookie and never shown. */
	readonly keyFile: string;
	/** The CA that signed the nodes' certificates (a bundle is fine). */
	readonly caFile: string;
}

export interface TlsFilesRead {
	readonly tls: DistTlsOptions;
	/** The key file is readable by others than its owner. */
	readonly warnings: readonly string[];
}

/**
 * A certificate chain or a CA bundle is larger than a cookie: secret files
 * are bounded at 4 KiB, these at 64 KiB (a chain of a dozen certificates).
 * Still a bound: a FIFO, a device or a huge file is refused unread.
 */
export const MAX_CERT_FILE_BYTES = 64 * 1024;
/** An unencrypted PEM key: 16 KiB holds even RSA 8192 (about 6.5 KiB). */
export const MAX_KEY_FILE_BYTES = 16 * 1024;

type Field = 'certFile' | 'keyFile' | 'caFile';

const WHAT: Readonly<Record<Field, string>> = {
	certFile: 'TLS certificate file',
	keyFile: 'TLS private key file',
	caFile: 'TLS CA file',
};

const PEM: Readonly<Record<Field, RegExp>> = {
	certFile: /-----BEGIN CERTIFICATE-----/,
	keyFile: /-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----/,
	caFile: /-----BEGIN CERTIFICATE-----/,
};

/**
 * Read the three files, every problem reported at once, each naming its
 * option and its file (`Cannot read the TLS CA file /x (dist.tls.caFile): ...`).
 * The key is read as a secret (bounded, mode checked); its content never
 * reaches a message, only whether it looks like a PEM key.
 */
export async function readTlsFiles(files: DistTlsFiles): Promise<TlsFilesRead> {
	const problems: ReloaderError[] = [];
	const warnings: string[] = [];
	const read = async (field: Field): Promise<string | undefined> => {
		const file = files[field];
		let text: string;
		try {
			if (field === 'keyFile') {
				const secret = await readSecretFile(file, {encoding: 'latin1', what: WHAT[field], chmod: '400', maxBytes: MAX_KEY_FILE_BYTES});
				text = secret.text;
				if (secret.openWarning !== undefined) {
					warnings.push(secret.openWarning);
				}
			} else {
				text = (await readSmallFile(file, {maxBytes: MAX_CERT_FILE_BYTES, timeoutMs: SECRET_READ_TIMEOUT_MS})).bytes.toString('latin1');
			}
		} catch (error) {
			// fs errors and SmallFileError name the path and the reason, never the content.
			problems.push(new ReloaderError('ERR_CONFIG_READ', `Cannot read the ${WHAT[field]} ${file} (dist.tls.${field}): ${errorMessage(error)}`, {
				cause: error,
				hint: field === 'keyFile'
					? 'Point dist.tls.keyFile at the PEM private key of dist.tls.certFile, readable by the daemon\'s user only (chmod 400).'
					: `Point dist.tls.${field} at a PEM file readable by the daemon's user.`,
			}));
			return undefined;
		}
		if (!PEM[field].test(text)) {
			problems.push(new ReloaderError('ERR_CONFIG_INVALID', `The ${WHAT[field]} ${file} (dist.tls.${field}) holds no PEM ${field === 'keyFile' ? 'private key' : 'certificate'}`, {
				hint: field === 'keyFile'
					? 'It must hold an unencrypted PEM key ("-----BEGIN PRIVATE KEY-----" or "-----BEGIN EC/RSA PRIVATE KEY-----").'
					: 'It must hold PEM certificates ("-----BEGIN CERTIFICATE-----").',
			}));
			return undefined;
		}
		return text;
	};
	const [cert, key, ca] = await Promise.all([read('certFile'), read('keyFile'), read('caFile')]);
	if (cert === undefined || key === undefined || ca === undefined) {
		throw problems.length === 1 ? problems[0] : new ReloaderError(problems.some(problem => problem.code === 'ERR_CONFIG_READ') ? 'ERR_CONFIG_READ' : 'ERR_CONFIG_INVALID', `dist.tls: ${problems.length} problems:\n${problems.map(problem => `  - ${problem.message}`).join('\n')}`, {
			cause: new AggregateError(problems),
			hint: problems.map(problem => problem.hint).join(' '),
		});
	}
	return {tls: {cert, key, ca}, warnings};
}

/**
 * Read the files and check that they can make a TLS client: the key belongs
 * to the certificate, the PEM parses. For start and reload, before anything
 * runs; the transport reads them again on every connect (renewed files).
 */
export async function checkTlsFiles(files: DistTlsFiles, node: string): Promise<void> {
	const {tls} = await readTlsFiles(files);
	try {
		createDistTlsContext(tls, node);
	} catch (error) {
		throw new ReloaderError('ERR_CONFIG_INVALID', `dist.tls: the certificate ${files.certFile}, key ${files.keyFile} and CA ${files.caFile} cannot be used together: ${errorMessage(error).replace(/^.*cannot be used: /, '')}`, {
			cause: error,
			hint: 'dist.tls.keyFile must be the private key of dist.tls.certFile (a key values mismatch means another key), all three PEM, the key unencrypted.',
		});
	}
}
