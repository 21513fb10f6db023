import {createHash} from 'node:crypto';
import {open, rename, rm} from 'node:fs/promises';
import {join} from 'node:path';

/** A beam the compile stage put into an ebin. */
export interface WrittenBeam {
	readonly module: string;
	readonly path: string;
	/** MD5 of the file's bytes, as the settle step's snapshot says it (`digest`): tells the daemon's own write from anyone else's. */
	readonly digest: string;
}

let sequence = 0;

/**
 * Put a compiled beam into its ebin in one step: written whole under a name
 * neither the watcher nor ejabberd's scan takes for a beam (a dotfile not
 * ending in `.beam`), then renamed over `<module>.beam`. Nobody ever sees a
 * half-written beam, and the node's user can read it (0644, like `install`).
 */
export async function writeBeam(ebin: string, module: string, bytes: Uint8Array): Promise<WrittenBeam> {
	const path = join(ebin, `${module}.beam`);
	const temporary = join(ebin, `.${module}.beam.${process.pid}.${++sequence}.tmp`);
	try {
		const handle = await open(temporary, 'wx', 0o644);
		try {
			await handle.writeFile(bytes);
			// The mode given to open is cut by the umask; the node's user must read it whatever ours is.
			await handle.chmod(0o644);
		} finally {
			await handle.close();
		}
		await rename(temporary, path);
	} catch (error) {
		await rm(temporary, {force: true});
		throw error;
	}
	return {module, path, digest: createHash('md5').update(bytes).digest('hex')};
}
