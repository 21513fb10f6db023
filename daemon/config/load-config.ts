import {ReloaderError, errorMessage, escapeUntrusted} from '../errors.ts';
import {formatSize} from '../files/file-facts.ts';
import {readSmallFile, SmallFileError} from '../secrets/read-small-file.ts';
import {parsePlainYaml, type PlainYaml} from './parse-plain-yaml.ts';
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

/** A config of every key with long comments is a few KiB; a file far larger is not one. */
export const MAX_CONFIG_FILE_BYTES = 1024 * 1024;
/** For a file system that hangs, as for the secret files. */
export const CONFIG_READ_TIMEOUT_MS = 5000;

async function readConfigFile(file: string): Promise<Record<string, unknown>> {
	let bytes: Buffer;
	try {
		({bytes} = await readSmallFile(file, {maxBytes: MAX_CONFIG_FILE_BYTES, timeoutMs: CONFIG_READ_TIMEOUT_MS}));
	} catch (error) {
		if (error instanceof SmallFileError) {
			throw new ReloaderError('ERR_CONFIG_READ', `Cannot read config file ${file}: ${error.message}`, {
				cause: error,
				hint: `Give --config a regular YAML file of at most ${formatSize(MAX_CONFIG_FILE_BYTES)}.`,
			});
		}
		throw new ReloaderError('ERR_CONFIG_READ', `Cannot read config file ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, {
			cause: error,
			hint: 'Check the path given to --config and that this user may read it.',
		});
	}
	let parsed: PlainYaml;
	try {
		parsed = parsePlainYaml(bytes.toString('utf8'));
	} catch (error) {
		// yaml's message quotes the offending line of the file: escaped, line by line.
		const message = errorMessage(error).split('\n').map(line => escapeUntrusted(line, 200)).join('\n');
		throw new ReloaderError('ERR_CONFIG_INVALID', `Config file ${file} is not valid YAML: ${message}`, {
			cause: error,
			hint: 'Fix the YAML syntax at the line named above.',
		});
	}
	if (parsed.problems.length > 0) {
		const count = parsed.problems.length;
		throw new ReloaderError('ERR_CONFIG_INVALID', `Invalid configuration in ${file} (${count} problem${count === 1 ? '' : 's'}):\n${parsed.problems.map(problem => `  - ${problem}`).join('\n')}`, {
			hint: 'Write every value as plain YAML (a string, number, true/false, a list or a mapping), without tags.',
		});
	}
	const {value} = parsed;
	if (value === null || value === undefined) {
		return {};
	}
	if (typeof value !== 'object' || Array.isArray(value)) {
		throw new ReloaderError('ERR_CONFIG_INVALID', `Config file ${file} must hold a mapping of keys (node, watch, ...), got a ${Array.isArray(value) ? 'list' : typeof value}`, {
			hint: 'See config/config.example.yml for the expected shape.',
		});
	}
	return value as Record<string, unknown>;
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
