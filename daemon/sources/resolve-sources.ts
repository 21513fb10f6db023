import {stat} from 'node:fs/promises';
import * as path from 'node:path';
import type {ResolvedConfig} from '../config/schema.ts';
import {ReloaderError} from '../errors.ts';
import type {SourceDirectory} from './source-compiler.ts';

/** What `sources` resolves to: the directories with absolute paths, whether contrib modules' sources are followed (`auto`), and every problem found (all at once). */
export interface ResolvedSources {
	readonly directories: readonly SourceDirectory[];
	readonly auto: boolean;
	readonly problems: readonly ReloaderError[];
}

/**
 * Check `sources`: each `dir` and `ebin` must be an existing directory (a
 * typo would otherwise compile nothing, or write beams nobody loads). Paths
 * are made absolute, so the compiler's diagnostics and the watcher's paths
 * agree with what the records show.
 */
export async function resolveSources(config: ResolvedConfig): Promise<ResolvedSources> {
	const problems: ReloaderError[] = [];
	const listed = config.sources === 'auto' ? [] : config.sources;
	const entries = listed.flatMap((entry, position) => entry === 'auto' ? [] : [{entry, position}]);
	const directories = await Promise.all(entries.map(async ({entry, position}): Promise<SourceDirectory> => {
		const dir = path.resolve(entry.dir);
		const ebin = path.resolve(entry.ebin);
		const include = entry.include.map(directory => path.resolve(directory));
		problems.push(...await directoryProblems(`sources[${position}].dir`, dir, 'Point it at the directory holding the module\'s .erl files (its src/).'));
		problems.push(...await directoryProblems(`sources[${position}].ebin`, ebin, 'Point it at the ebin the node loads the module from (ejabberd\'s ebin, or the contrib module\'s), or create it.'));
		for (const [index, directory] of include.entries()) {
			problems.push(...await directoryProblems(`sources[${position}].include[${index}]`, directory, 'Fix the path, or remove it from `include`.'));
		}
		return {dir, ebin, include};
	}));
	return {directories, auto: config.sources === 'auto' || listed.includes('auto'), problems};
}

async function directoryProblems(key: string, directory: string, hint: string): Promise<ReloaderError[]> {
	const stats = await stat(directory).catch((error: unknown) => error as NodeJS.ErrnoException);
	if (stats instanceof Error) {
		const why = stats.code === 'ENOENT' ? 'does not exist' : `cannot be read (${stats.code ?? stats.message})`;
		return [new ReloaderError('ERR_CONFIG_INVALID', `${key}: ${directory} ${why}`, {hint})];
	}
	return stats.isDirectory() ? [] : [new ReloaderError('ERR_CONFIG_INVALID', `${key}: ${directory} is not a directory`, {hint})];
}
