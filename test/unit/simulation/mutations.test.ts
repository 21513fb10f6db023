import {readFile} from 'node:fs/promises';
import {join, resolve} from 'node:path';
import test from 'ava';
import {MUTATIONS, applyMutation} from './mutations.ts';

/**
 * The mutation check itself (`npm run mutation`) takes minutes and stays out
 * of the test run; this keeps its table honest: every guard's search text is
 * still in its file, exactly once, so the check breaks what it says it breaks.
 */
const root = resolve(import.meta.dirname, '../../..');

for (const mutation of MUTATIONS) {
	test(`the mutation "${mutation.name}" still applies to ${mutation.file}`, async t => {
		const source = await readFile(join(root, mutation.file), 'utf8');
		t.notThrows(() => applyMutation(mutation, source));
	});
}
