import {ReloaderError, errorMessage, type ErrorCode} from '../errors.ts';

/**
 * Every reason a configuration cannot be put to work, found before anything
 * runs: the caller sees them all at once, not one per attempt. Its code is
 * ERR_CONFIG_INVALID (exit 2) as soon as one reason is the configuration's;
 * otherwise the first reason's (a wrong cookie, say: exit 1).
 */
export class PipelineCheckError extends ReloaderError {
	readonly problems: readonly ReloaderError[];

	constructor(problems: readonly ReloaderError[]) {
		super(codeOf(problems), describeProblems(problems), {
			hint: problems.length === 1 ? problems[0]?.hint : 'Fix each problem listed above; each says what to do.',
			cause: problems.length === 1 ? problems[0] : new AggregateError(problems),
		});
		this.name = 'PipelineCheckError';
		this.problems = problems;
	}
}

/** What a failed check becomes: its own ReloaderError, or one that names what was being checked. */
export function asProblem(error: unknown, what: string): ReloaderError {
	if (error instanceof ReloaderError) {
		return error;
	}
	return new ReloaderError('ERR_CONFIG_INVALID', `${what}: ${errorMessage(error)}`, {cause: error});
}

function codeOf(problems: readonly ReloaderError[]): ErrorCode {
	const config = problems.find(problem => problem.code === 'ERR_CONFIG_INVALID' || problem.code === 'ERR_CONFIG_READ');
	return (config ?? problems[0])?.code ?? 'ERR_CONFIG_INVALID';
}

function describeProblems(problems: readonly ReloaderError[]): string {
	if (problems.length === 1) {
		return problems[0]?.message ?? 'The configuration cannot be applied';
	}
	const lines = problems.map(problem => `  - ${problem.message}${problem.hint === undefined ? '' : ` (what to do: ${problem.hint})`}`);
	return [`The configuration cannot be applied (${problems.length} problems):`, ...lines].join('\n');
}
