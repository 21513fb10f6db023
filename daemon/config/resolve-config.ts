import type {z} from 'zod';
import {ReloaderError, describeValue} from '../errors.ts';
import {configSchema, type ResolvedConfig} from './schema.ts';

export interface ConfigProblem {
	readonly path: string;
	readonly message: string;
	readonly value: unknown;
}

/**
 * Validate a whole config at once and freeze it. Every problem is collected
 * (fastify-style) so a user fixes the file in one go, not one error per run.
 */
export function resolveConfig(input: unknown, source = 'config'): ResolvedConfig {
	const result = configSchema.safeParse(input ?? {}, {reportInput: true});
	if (!result.success) {
		throw new ConfigError(source, result.error.issues.map(toProblem));
	}
	return deepFreeze(result.data);
}

export class ConfigError extends ReloaderError {
	readonly problems: readonly ConfigProblem[];

	constructor(source: string, problems: readonly ConfigProblem[]) {
		const lines = problems.map(problem => `  - ${problem.path}: ${problem.message}, got ${describeValue(problem.value)}`);
		super('ERR_CONFIG_INVALID', `Invalid configuration in ${source} (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${lines.join('\n')}`, {
			hint: 'Fix the keys listed above; config/config.example.yml documents every key and its default.',
		});
		this.name = 'ConfigError';
		this.problems = problems;
	}
}

/** Keys whose values are secrets: a problem names the key, never the value. */
const SECRET_KEYS = new Set(['token']);

function toProblem(issue: z.core.$ZodIssue): ConfigProblem {
	if (issue.path.some(key => typeof key === 'string' && SECRET_KEYS.has(key))) {
		return {path: formatPath(issue.path), message: issue.message, value: '(secret, not shown)'};
	}
	if (issue.code === 'unrecognized_keys') {
		const where = formatPath(issue.path);
		return {
			path: where === '' ? issue.keys.join(', ') : issue.keys.map(key => `${where}.${key}`).join(', '),
			message: `unknown key${issue.keys.length === 1 ? '' : 's'}`,
			value: issue.keys.length === 1 ? issue.keys[0] : issue.keys,
		};
	}
	return {path: formatPath(issue.path) || '(top level)', message: issue.message, value: issue.input};
}

function formatPath(path: readonly PropertyKey[]): string {
	return path
		.map((key, index) => (typeof key === 'number' ? `[${key}]` : `${index === 0 ? '' : '.'}${String(key)}`))
		.join('');
}

function deepFreeze<T>(value: T): T {
	if (value !== null && typeof value === 'object') {
		for (const inner of Object.values(value)) {
			deepFreeze(inner);
		}
		Object.freeze(value);
	}
	return value;
}
