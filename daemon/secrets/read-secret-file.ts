import {readSmallFile} from './read-small-file.ts';

export interface SecretFile {
	readonly text: string;
	/** A warning naming the file and the `chmod` to run, when others than its owner may read it. */
	readonly openWarning: string | undefined;
}

export interface SecretFileOptions {
	readonly encoding: BufferEncoding;
	/** What the file is, for the warning: `Erlang cookie file`, `API token file`. */
	readonly what: string;
	/** The mode the warning tells the user to set: `400`, `600`. */
	readonly chmod: string;
	/** Larger files are refused unread. Default MAX_SECRET_FILE_BYTES. */
	readonly maxBytes?: number;
	/** Default SECRET_READ_TIMEOUT_MS. */
	readonly timeoutMs?: number;
}

/** A cookie, a password or a token is a line of text: a file larger than this is not one. */
export const MAX_SECRET_FILE_BYTES = 4096;
/** A local file of 4 KiB reads in well under a millisecond; this is for a file system that hangs. */
export const SECRET_READ_TIMEOUT_MS = 5000;

/**
 * Read a file that holds a secret (the Erlang cookie, an API password or
 * token) and check who else may read it, from one open file handle. Only a
 * regular file (or a symlink to one) of at most `maxBytes` is read, within
 * `timeoutMs`; a FIFO, a device, a socket or a directory is refused at once,
 * a larger file by its size (see readSmallFile). Throws the fs error (it
 * names the path and errno) or SmallFileError (only the reason) as it is,
 * never the content, so callers wrap it saying which file it was ("Cannot
 * read the Erlang cookie file /x: it is a FIFO, not a regular file"). The
 * content is only ever returned.
 */
export async function readSecretFile(file: string, options: SecretFileOptions): Promise<SecretFile> {
	const {bytes, stats} = await readSmallFile(file, {
		maxBytes: options.maxBytes ?? MAX_SECRET_FILE_BYTES,
		timeoutMs: options.timeoutMs ?? SECRET_READ_TIMEOUT_MS,
	});
	const {mode} = stats;
	const openTo = describeOpenAccess(mode);
	return {
		text: bytes.toString(options.encoding),
		openWarning: openTo === undefined
			? undefined
			: `The ${options.what} ${file} is open to ${openTo} (mode ${(mode & 0o777).toString(8)}): whoever can read it ${whatItGrants(options.what)}. Run \`chmod ${options.chmod} ${file}\`.`,
	};
}

/** Who besides the owner may read a file of this mode, or undefined when nobody may. */
export function describeOpenAccess(mode: number): string | undefined {
	const group = (mode & 0o070) !== 0;
	const others = (mode & 0o007) !== 0;
	if (!group && !others) {
		return undefined;
	}
	return group && others ? 'its group and others' : group ? 'its group' : 'others';
}

function whatItGrants(what: string): string {
	if (what.includes('TLS')) {
		return 'can pass for this daemon in TLS distribution';
	}
	return what.includes('cookie') ? 'can run any code on the node' : 'can reload code on the node';
}
