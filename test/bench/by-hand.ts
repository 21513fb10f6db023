import {execFile} from 'node:child_process';
import {promisify} from 'node:util';
import type {SandboxNode} from '../../daemon/sandbox/sandbox-node.ts';
import {summarize, type Summary} from './stats.ts';

const run = promisify(execFile);

/** The seed's by-hand flow: `ejabberdctl update_list`, then `ejabberdctl update MOD`, timed as one. */
export async function measureByHand(node: SandboxNode, module: string, runs: number, beforeEach: (index: number) => Promise<void>): Promise<Summary> {
	const [program = 'ejabberdctl', ...prefix] = node.ctlCommand;
	const samples: number[] = [];
	for (let index = 0; index < runs; index++) {
		await beforeEach(index);
		const start = performance.now();
		await run(program, [...prefix, 'update_list']);
		await run(program, [...prefix, 'update', module]);
		samples.push(performance.now() - start);
	}
	return summarize(samples);
}
