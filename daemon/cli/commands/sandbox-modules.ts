import {stat} from 'node:fs/promises';
import {basename, dirname, resolve} from 'node:path';
import type {ResolvedConfig} from '../../config/schema.ts';
import type {EjabberdInstall} from '../../ejabberd/ejabberd-install.ts';
import {ReloaderError, errorMessage} from '../../errors.ts';
import {moduleNameProblems} from '../../sandbox/sandbox-config.ts';
import {formatDiagnostic} from '../../sources/compile-diagnostics.ts';
import {ErlcModuleCompiler} from '../../sources/erlc-module-compiler.ts';
import {treeIncludeDirs} from '../../sources/source-tree.ts';

/** `--module` values: modules of the install by name, and the developer's own by their source file. */
export interface SandboxModules {
	/** Every module to enable in the sandbox's ejabberd.yml. */
	readonly enabled: readonly string[];
	/** The source files' modules, compiled, to put into the private ebin before the node starts. */
	readonly beams: readonly {readonly module: string; readonly bytes: Uint8Array}[];
	/** The source files' directories, each compiled into the private ebin on save from then on. */
	readonly sourceDirs: readonly string[];
}

/**
 * Read `--module` values: a name (`mod_echo`) enables a module ejabberd
 * has; a source file (`./mod_hello.erl`) is compiled here first, as
 * ejabberd compiles modules, so the node boots with it enabled, and its
 * directory is watched so each save goes live. Every problem is reported at
 * once, before anything starts: a bad name, a missing file, a module that
 * does not compile (with its diagnostics).
 */
export async function resolveSandboxModules(values: readonly string[], config: ResolvedConfig, install: EjabberdInstall): Promise<SandboxModules> {
	const files = values.filter(isSourceFile).map(file => resolve(file));
	const names = values.filter(value => !isSourceFile(value));
	const problems = moduleNameProblems(names);
	const modules = files.map(file => basename(file, '.erl'));
	problems.push(...moduleNameProblems(modules).map(problem => `a source file's ${problem}`));
	for (const file of files) {
		const stats = await stat(file).catch((error: unknown) => error as Error);
		if (stats instanceof Error || !stats.isFile()) {
			problems.push(`${file} is no source file to compile (${stats instanceof Error ? errorMessage(stats) : 'not a regular file'})`);
		}
	}
	if (problems.length === 0) {
		const compiled = await compileSources(files, config, install, problems);
		if (problems.length === 0) {
			return {enabled: [...names, ...modules], beams: compiled, sourceDirs: [...new Set(files.map(file => dirname(file)))]};
		}
	}
	throw new ReloaderError('ERR_CONFIG_INVALID', `Invalid --module:\n${problems.map(problem => `  - ${problem}`).join('\n')}`, {
		hint: 'Give the module\'s Erlang name, as in ejabberd.yml\'s modules: section (--module mod_echo), or its source file (--module ./mod_hello.erl) that compiles.',
	});
}

function isSourceFile(value: string): boolean {
	return value.endsWith('.erl');
}

/** Each source with this host's erlc and the install's ejabberd, before any node exists; a failure's diagnostics are problems. */
async function compileSources(files: readonly string[], config: ResolvedConfig, install: EjabberdInstall, problems: string[]): Promise<{module: string; bytes: Uint8Array}[]> {
	const compiler = new ErlcModuleCompiler({erlc: config.compile.erlc, warningsAsErrors: config.compile.warnings === 'fail', timeoutMs: config.compile.timeoutMs, ejabberdEbin: () => install.ebinDir, ejabberdVersion: () => install.version});
	const beams: {module: string; bytes: Uint8Array}[] = [];
	try {
		for (const source of files) {
			const module = basename(source, '.erl');
			const outcome = await compiler.compile({source, module, includeDirs: treeIncludeDirs(dirname(source)), signal: AbortSignal.timeout(config.compile.timeoutMs + 5000)});
			if (outcome.ok) {
				beams.push({module, bytes: outcome.beam});
			} else {
				problems.push(`${source} does not compile:\n${outcome.diagnostics.map(diagnostic => `      ${formatDiagnostic(diagnostic)}`).join('\n')}`);
			}
		}
	} finally {
		await compiler.close();
	}
	return beams;
}
