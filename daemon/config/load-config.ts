import {readFile} from 'node:fs/promises';
import {parse} from 'yaml';
import {ReloaderError} from '../errors.ts';
import {resolveConfig} from './resolve-config.ts';
import type {ResolvedConfig, UserConfig} from './schema.ts';

/**
 * Read the YAML file (if any), lay the command-line overrides over it, and
 * resolve the result. Flags win over the file; nested keys merge one level deep
 * so `--log-level debug` keeps the file's `log.format`.
 */
export async function loadConfig(file: string | undefined, overrides: UserConfig = {}): Promise<ResolvedConfig> {
	const fromFile = file === undefined ? {} : await readConfigFile(file);
	return resolveConfig(mergeConfig(fromFile, overrides), file ?? 'command-line flags');
}

async function readConfigFile(file: string): Promise<Record<string, unknown>> {
	let text: string;
	try {
		text = await readFile(file, 'utf8');
	} catch (error) {
		throw new ReloaderError('ERR_CONFIG_READ', `Cannot read config file ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, {
			cause: error,
			hint: 'Check the path given to --config and that this user may read it.',
		});
	}
	let parsed: unknown;
	try {
		parsed = parse(text);
	} catch (error) {
		throw new ReloaderError('ERR_CONFIG_INVALID', `Config file ${file} is not valid YAML: ${(error as Error).message}`, {
			cause: error,
			hint: 'Fix the YAML syntax at the line named above.',
		});
	}
	if (parsed === null || parsed === undefined) {
		return {};
	}
	if (typeof parsed !== 'object' || Array.isArray(parsed)) {
		throw new ReloaderError('ERR_CONFIG_INVALID', `Config file ${file} must hold a mapping of keys (node, watch, ...), got a ${Array.isArray(parsed) ? 'list' : typeof parsed}`, {
			hint: 'See config/config.example.yml for the expected shape.',
		});
	}
	return parsed as Record<string, unknown>;
}

export function mergeConfig(base: Record<string, unknown>, overrides: Record<string, unknown>): Record<string, unknown> {
	const merged: Record<string, unknown> = {...base};
	for (const [key, value] of Object.entries(overrides)) {
		if (value === undefined) {
			continue;
		}
		const current = merged[key];
		merged[key] = isPlainObject(current) && isPlainObject(value) ? {...current, ...value} : value;
	}
	return merged;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
	return value !== null && typeof value === 'object' && !Array.isArray(value);
}
