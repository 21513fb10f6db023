import test from 'ava';
import {classifyModules, type ClassificationInput} from '../../../daemon/reloader/classify-modules.ts';

const none = new Set<string>();
const base: ClassificationInput = {
	modules: [],
	deferred: none,
	rejected: new Map(),
	listedBefore: none,
	attempted: none,
	listedAfter: none,
	updateError: undefined,
	sameVersionAsBefore: none,
};

test('a listed module that is no longer listed after update is updated', t => {
	const result = classifyModules({...base, modules: ['mod_a'], listedBefore: new Set(['mod_a']), attempted: new Set(['mod_a'])});
	t.deepEqual(result.updated, ['mod_a']);
	t.deepEqual(result.failed, []);
});

test('a module still listed after update failed, with the reason', t => {
	const result = classifyModules({...base, modules: ['mod_a'], listedBefore: new Set(['mod_a']), attempted: new Set(['mod_a']), listedAfter: new Set(['mod_a'])});
	t.deepEqual(result.updated, []);
	t.is(result.failed[0]?.module, 'mod_a');
	t.regex(result.failed[0]?.reason ?? '', /did not load the new code/);
});

test('when update itself fails every attempted module fails with its message', t => {
	const result = classifyModules({...base, modules: ['mod_a', 'mod_b', 'mod_c'], listedBefore: new Set(['mod_a', 'mod_b']), attempted: new Set(['mod_a', 'mod_b']), updateError: 'update failed: boom', sameVersionAsBefore: new Set(['mod_c'])});
	t.deepEqual(result.failed, [{module: 'mod_a', reason: 'update failed: boom'}, {module: 'mod_b', reason: 'update failed: boom'}]);
	t.deepEqual(result.unchanged, ['mod_c']);
});

test('an unlisted module with the version seen before is unchanged; with a new version it is not loaded', t => {
	const result = classifyModules({...base, modules: ['same', 'fresh'], sameVersionAsBefore: new Set(['same'])});
	t.deepEqual(result.unchanged, ['same']);
	t.deepEqual(result.notLoaded, ['fresh']);
});

test('deferred and rejected modules are kept apart from the rest', t => {
	const result = classifyModules({
		...base,
		modules: ['half', 'bad', 'mod_a'],
		deferred: new Set(['half']),
		rejected: new Map([['bad', 'not a beam']]),
		listedBefore: new Set(['half', 'bad', 'mod_a']),
		attempted: new Set(['mod_a']),
	});
	t.deepEqual(result.deferred, ['half']);
	t.deepEqual(result.failed, [{module: 'bad', reason: 'not a beam'}]);
	t.deepEqual(result.updated, ['mod_a']);
});

test('every module lands in exactly one class, once', t => {
	const modules = ['a', 'b', 'c', 'd', 'e', 'a'];
	const result = classifyModules({
		...base,
		modules,
		deferred: new Set(['e']),
		listedBefore: new Set(['a', 'b']),
		attempted: new Set(['a', 'b']),
		listedAfter: new Set(['b']),
		sameVersionAsBefore: new Set(['c']),
	});
	const all = [...result.updated, ...result.unchanged, ...result.notLoaded, ...result.failed.map(f => f.module), ...result.deferred].sort();
	t.deepEqual(all, ['a', 'b', 'c', 'd', 'e']);
});
