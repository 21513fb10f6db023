import test from 'ava';
import type {ExecutionContext} from 'ava';
import {ApiError} from '../../../daemon/api/api-error.ts';
import {parseModuleList, parseUpdateRequest} from '../../../daemon/api/parse-module-list.ts';

const parses = test.macro({
	exec(t: ExecutionContext, text: string, expected: unknown) {
		t.deepEqual(parseModuleList(Buffer.from(text)), expected);
	},
	title: (_provided, text: string) => `parses ${text}`,
});

const refuses = test.macro({
	exec(t: ExecutionContext, text: string, code: string, message: RegExp) {
		const error = t.throws(() => parseModuleList(Buffer.from(text)), {instanceOf: ApiError});
		t.is(error?.status, 400);
		t.is(error?.code as string | undefined, code);
		t.regex(error?.message ?? '', message);
		t.regex(error?.hint ?? '', /\["mod_a","mod_b"\]/);
	},
	title: (_provided, text: string, code: string) => `refuses ${JSON.stringify(text)} with ${code}`,
});

test(parses, '["mod_a","mod_b"]', ['mod_a', 'mod_b']);
test(parses, ' {"modules": ["mod_a"]} ', ['mod_a']);
// The names themselves are the daemon's to judge (ERR_MODULE_NAME): unwrapped as they are.
test(parses, '[1, "../x"]', [1, '../x']);
test(parses, '{"modules": "mod_a"}', 'mod_a');
test(parses, '[]', []);

test(refuses, '', 'ERR_API_JSON', /body is empty/);
test(refuses, '  \n', 'ERR_API_JSON', /body is empty/);
test(refuses, '["mod_a"', 'ERR_API_JSON', /not valid JSON/);
test(refuses, 'mod_a', 'ERR_API_JSON', /not valid JSON/);
test(refuses, '"mod_a"', 'ERR_API_BODY_SHAPE', /got `"mod_a"` \(string\)/);
test(refuses, '42', 'ERR_API_BODY_SHAPE', /got `42` \(number\)/);
test(refuses, 'null', 'ERR_API_BODY_SHAPE', /got `null` \(null\)/);
test(refuses, '{}', 'ERR_API_BODY_SHAPE', /got an empty object/);
test(refuses, '{"module": ["mod_a"]}', 'ERR_API_BODY_SHAPE', /got the key\(s\) `"module"` \(string\)/);
test(refuses, '{"modules": ["mod_a"], "force": true}', 'ERR_API_BODY_SHAPE', /key `modules` \(and optionally `purge`, `nodes`\).*`"force"`/);
test(refuses, '{"modules": ["mod_a"], "purge": "gentle"}', 'ERR_API_BODY_SHAPE', /`purge` to be "brutal" or "soft", got `"gentle"`/);
test(refuses, '{"purge": "brutal"}', 'ERR_API_BODY_SHAPE', /got only `purge`/);

test('{"modules": [...], "purge": "brutal"} asks to force; a plain list or {modules} overrides nothing', t => {
	t.deepEqual(parseUpdateRequest(Buffer.from('{"modules": ["mod_a"], "purge": "brutal"}')), {names: ['mod_a'], purge: 'brutal'});
	t.deepEqual(parseUpdateRequest(Buffer.from('{"purge": "soft", "modules": ["mod_a"]}')), {names: ['mod_a'], purge: 'soft'});
	t.deepEqual(parseUpdateRequest(Buffer.from('["mod_a"]')), {names: ['mod_a']});
	t.deepEqual(parseUpdateRequest(Buffer.from('{"modules": ["mod_a"]}')), {names: ['mod_a']});
});

// Past the depth limit the body is refused before JSON.parse, and before any message shows the value (both recurse).
const deepList = '['.repeat(30_000) + ']'.repeat(30_000);
test('refuses a list nested 30,000 deep with ERR_API_JSON_DEPTH', refuses, deepList, 'ERR_API_JSON_DEPTH', /more than 8 levels deep/);
test('refuses {"modules": ...} nested 30,000 deep with ERR_API_JSON_DEPTH', refuses, `{"modules":${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}}`, 'ERR_API_JSON_DEPTH', /more than 8 levels deep/);
test('refuses an unclosed deep body with ERR_API_JSON_DEPTH', refuses, '['.repeat(60_000), 'ERR_API_JSON_DEPTH', /more than 8 levels deep/);
test(parses, '[["mod_a"]]', [['mod_a']]);
test(parses, '["[[[[[[[[[[[[[[", "\\"[[[[[[[[[[[["]', ['[[[[[[[[[[[[[[', '"[[[[[[[[[[[[']);
test(refuses, '\uFEFF["mod_a"]', 'ERR_API_JSON', /not valid JSON/);
