import {open} from 'node:fs/promises';

export interface SecretFile {
	readonly text: string;
	/** A warning naming the file and the `chmod` to run, when others than its owner may read it. */
	readonly openWarning: string | undefined;
}

/**
 * Read a file that holds a secret (the Erlang cookie, an API password or
 * token) and check who else may read it, from one open file handle. Throws
 * the fs error as it is: it names the path and errno, never the content, so
 * callers can wrap it into their own error. The content is only ever returned.
 */
export async function readSecretFile(file: string, options: {encoding: BufferEncoding; what: string; chmod: string}): Promise<SecretFile> {
	const handle = await open(file, 'r');
	try {
		const {mode} = await handle.stat();
		const text = await handle.readFile(options.encoding);
		const openTo = describeOpenAccess(mode);
		return {
			text,
			openWarning: openTo === undefined
				? undefined
				: `The ${options.what} ${file} is open to ${openTo} (mode ${(mode & 0o777).toString(8)}): whoever can read it ${whatItGrants(options.what)}. Run \`chmod ${options.chmod} ${file}\`.`,
		};
	} finally {
		await handle.close();
	}
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
	return what.includes('cookie') ? 'can run any code on the node' : 'can reload code on the node';
}
