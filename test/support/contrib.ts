import {execFile} from 'node:child_process';
import {cp, mkdir, stat} from 'node:fs/promises';
import {basename, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {promisify} from 'node:util';
import type {SandboxNode} from '../../daemon/sandbox/sandbox-node.ts';

/** processone/ejabberd-contrib's modules the tests use, copied unchanged (fixtures/contrib/README.md). */
export const EJABBERD_CONTRIB = fileURLToPath(new URL('../../fixtures/contrib/ejabberd-contrib', import.meta.url));

/**
 * Put a contrib module's sources where `ejabberdctl module_install` looks
 * before it would fetch anything: `<contribDir>/sources/<repo>/<module>/`,
 * `<repo>` being the repository folder's name (ext_mod reads every
 * `sources/*\/*\/*.spec`). Owned by the node's user, as ext_mod compiles into
 * `<that folder>/ebin`. Returns that folder, as this process sees it.
 */
export async function stageContribSources(node: SandboxNode, repoDir: string, module: string): Promise<string> {
	const target = join(node.contribDir, 'sources', basename(repoDir), module);
	await mkdir(join(node.contribDir, 'sources'), {recursive: true});
	await cp(join(repoDir, module), target, {recursive: true, errorOnExist: true, force: false});
	if (process.getuid?.() === 0) {
		// The sandbox gave its contribDir to the node's user (a root's user may have another uid).
		const owner = await stat(node.contribDir);
		await promisify(execFile)('chown', ['-R', `${owner.uid}:${owner.gid}`, join(node.contribDir, 'sources')]);
	}
	return target;
}
