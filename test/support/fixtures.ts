import {execFile} from 'node:child_process';
import {chmod, open, readFile, unlink, writeFile} from 'node:fs/promises';
import {basename, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {promisify} from 'node:util';

export type FixtureModule = 'reload_probe' | 'reload_other';
export type FixtureVersion = 1 | 2;

const MODULES_DIR = fileURLToPath(new URL('../../fixtures/modules/', import.meta.url));

// Every helper here compiles with the host's erlc (OTP 25), for both ejabberd
// versions the tests run: an OTP 25 beam loads on the 24.12 node (OTP 27),
// while an OTP 27 beam does not load on OTP 25 (`{error, {features_not_allowed,
// [maybe_expr]}}`). So one compiler serves both, and a beam built here can be
// installed into a 24.12 node's hostEbinDir as it is.

/** Compile `fixtures/modules/v<version>/<module>.erl` into `outDir`; returns the beam's path. */
export async function compileFixture(module: FixtureModule, version: FixtureVersion, outDir: string): Promise<string> {
	await promisify(execFile)('/usr/bin/erlc', ['-o', outDir, join(MODULES_DIR, `v${version}`, `${module}.erl`)]);
	return join(outDir, `${module}.beam`);
}

/**
 * Put a beam into an ebin the way `install -m 644` (and so `make install`)
 * does: unlink, then write the new file in place in several writes, then
 * chmod. A watcher sees the file appear empty and grow, which is the point.
 */
export async function installBeam(beamPath: string, ebinDir: string): Promise<string> {
	const content = await readFile(beamPath);
	return writeInPlace(content, join(ebinDir, basename(beamPath)));
}

/** Like installBeam, but stop after `bytes` bytes: a half-written beam, as a watcher may catch one. */
export async function installBeamTruncated(beamPath: string, ebinDir: string, bytes: number): Promise<string> {
	const content = await readFile(beamPath);
	return writeInPlace(content.subarray(0, bytes), join(ebinDir, basename(beamPath)));
}

async function writeInPlace(content: Buffer, target: string): Promise<string> {
	await unlink(target).catch((error: unknown) => {
		if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
			throw error;
		}
	});
	const file = await open(target, 'wx', 0o600);
	try {
		const chunk = Math.max(1, Math.ceil(content.length / 3));
		for (let offset = 0; offset < content.length; offset += chunk) {
			await file.write(content, offset, Math.min(chunk, content.length - offset));
		}
	} finally {
		await file.close();
	}
	await chmod(target, 0o644);
	return target;
}

/** Compile a module made from `fixtures/modules/generated.erl.template`; returns the beam's path. */
export async function compileGenerated(module: string, version: number, outDir: string): Promise<string> {
	return compileTemplate('generated.erl.template', module, version, outDir);
}

/** Compile a module whose on_load fails (`fixtures/modules/failing-on-load.erl.template`). */
export async function compileFailingOnLoad(module: string, version: number, outDir: string): Promise<string> {
	return compileTemplate('failing-on-load.erl.template', module, version, outDir);
}

/** Compile a module whose on_load fails on `node` only (`fixtures/modules/failing-on-node.erl.template`). */
export async function compileFailingOnNode(module: string, version: number, node: string, outDir: string): Promise<string> {
	return compileTemplate('failing-on-node.erl.template', module, version, outDir, {node});
}

/** Compile a module whose `start()` runs a process that stays in the code it started in (`fixtures/modules/looping.erl.template`). */
export async function compileLooping(module: string, version: number, outDir: string): Promise<string> {
	return compileTemplate('looping.erl.template', module, version, outDir);
}

async function compileTemplate(template: string, module: string, version: number, outDir: string, fill: Readonly<Record<string, string>> = {}): Promise<string> {
	const text = await readFile(join(MODULES_DIR, template), 'utf8');
	const source = join(outDir, `${module}.erl`);
	const filled = Object.entries(fill).reduce((done, [key, value]) => done.replaceAll(`{{${key}}}`, value), text.replaceAll('{{module}}', module).replaceAll('{{version}}', String(version)));
	await writeFile(source, filled);
	await promisify(execFile)('/usr/bin/erlc', ['-o', outDir, source]);
	return join(outDir, `${module}.beam`);
}
