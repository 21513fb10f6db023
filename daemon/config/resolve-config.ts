import type {z} from 'zod';
import {ReloaderError, describeValue} from '../errors.ts';
import {transportFit} from '../transports/check-capabilities.ts';
import {configSchema, type ResolvedConfig} from './schema.ts';

export interface ConfigProblem {
	readonly path: string;
	readonly message: string;
	readonly value: unknown;
	/** False when the message already quotes the value (an option the transport cannot honour). Default: true. */
	readonly showValue?: boolean;
}

/**
 * Validate a whole config at once and freeze it. Every problem is collected
 * (fastify-style) so a user fixes the file in one go, not one error per run.
 * Once the schema holds, an option the chosen transport cannot honour is a
 * problem too (`purge: soft` over ctl, say); with `transport: auto` the choice
 * is made later, and createTransport warns about what the fallback lost.
 */
export function resolveConfig(input: unknown, source = 'config'): ResolvedConfig {
	const result = configSchema.safeParse(input ?? {}, {reportInput: true});
	if (!result.success) {
		throw new ConfigError(source, result.error.issues.flatMap(issue => toProblems(issue, [])));
	}
	const config: ResolvedConfig = deepFreeze(result.data);
	if (config.transport !== 'auto') {
		// The same fit the pipeline's watch: auto and reload plan read later (transportFit keeps it per configuration).
		const {problems} = transportFit(config, config.transport);
		if (problems.length > 0) {
			throw new ConfigError(source, problems.map(problem => ({path: problem.path, message: problem.message, value: problem.value, showValue: false})));
		}
	}
	return config;
}

export class ConfigError extends ReloaderError {
	readonly problems: readonly ConfigProblem[];

	constructor(source: string, problems: readonly ConfigProblem[]) {
		const lines = problems.map(problem => (problem.showValue === false ? `  - ${problem.message}` : `  - ${problem.path}: ${problem.message}, got ${describeValue(problem.value)}`));
		super('ERR_CONFIG_INVALID', `Invalid configuration in ${source} (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${lines.join('\n')}`, {
			hint: 'Fix the keys listed above; config/config.example.yml documents every key and its default.',
		});
		this.name = 'ConfigError';
		this.problems = problems;
	}
}

/**
 * A value no option of a union took: zod says only "Invalid input". The
 * options the value is not even the kind of (a string where a list is
 * expected) say nothing about it; when one option is left, its own problems
 * are the ones (`cluster.nodes[1]: expected name@host...`), and when none is,
 * what the options expect (`expected "auto" or array`).
 */
function toProblems(issue: z.core.$ZodIssue, prefix: readonly PropertyKey[]): ConfigProblem[] {
	const path = [...prefix, ...issue.path];
	if (issue.code === 'invalid_union' && issue.errors.length > 0) {
		const near = issue.errors.filter(issues => !issues.every(isKindMismatch));
		const [only] = near;
		if (near.length === 1 && only !== undefined) {
			return only.flatMap(inner => toProblems(inner, path));
		}
		const expected = [...new Set(issue.errors.flat().flatMap(expectedOf))];
		if (near.length === 0 && expected.length > 0) {
			return [toProblem({...issue, path: [...path], message: `expected ${expected.join(' or ')}`})];
		}
	}
	return [toProblem({...issue, path: [...path]})];
}

function isKindMismatch(issue: z.core.$ZodIssue): boolean {
	return issue.path.length === 0 && (issue.code === 'invalid_type' || issue.code === 'invalid_value');
}

function expectedOf(issue: z.core.$ZodIssue): string[] {
	switch (issue.code) {
		case 'invalid_type': {
			return [issue.expected];
		}
		case 'invalid_value': {
			return issue.values.map(value => JSON.stringify(value) ?? String(value));
		}
		default: {
			return [];
		}
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
