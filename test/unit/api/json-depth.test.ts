import test from 'ava';
import type {ExecutionContext} from 'ava';
import {jsonDepth} from '../../../daemon/api/json-depth.ts';

const depthOf = test.macro({
	exec(t: ExecutionContext, text: string, expected: number) {
		t.is(jsonDepth(text), expected);
	},
	title: (provided, text: string, expected: number) => provided ?? `${JSON.stringify(text)} nests ${expected} deep`,
});

test(depthOf, '', 0);
test(depthOf, '"mod_a"', 0);
test(depthOf, '[]', 1);
test(depthOf, '["mod_a", "mod_b"]', 1);
test(depthOf, '{"modules": ["mod_a"]}', 2);
test(depthOf, '[[], [[]], []]', 3);
test(depthOf, '["[[[{{{"]', 1);
test(depthOf, '["\\"[[[", "\\\\", []]', 2);
test(depthOf, '{"a\\\\": [{"b": "]]]"}]}', 3);
test('a body nested 30,000 deep', depthOf, '['.repeat(30_000) + ']'.repeat(30_000), 30_000);

test('stops counting once past the limit', t => {
	t.is(jsonDepth('['.repeat(1_000_000), 8), 9);
	t.is(jsonDepth('[[[]]]', 8), 3);
});
