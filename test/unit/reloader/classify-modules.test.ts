import test from 'ava';
import {classifyModules, type ClassificationInput, type Verification} from '../../../daemon/reloader/classify-modules.ts';
import type {ModuleState} from '../../../daemon/transports/transport.ts';

const none = new Set<string>();
const listed = (...modules: string[]): Verification => ({kind: 'list', listedAfter: new Set(modules)});
const base: ClassificationInput = {
	modules: [],
	deferred: none,
	rejected: new Map(),
	attempted: none,
	updateErrors: new Map(),
	outOfReach: none,
	heldBack: none,
	verification: listed(),
	sameVersionAsBefore: none,
};

const md5 = {old: 'a'.repeat(32), new: 'b'.repeat(32)};
const content = (before: Record<string, ModuleState>, after: Record<string, ModuleState> = {}): Verification => ({
	kind: 'content',
	before: new Map(Object.entries(before)),
	after: new Map(Object.entries(after)),
});

test('list: an attempted module gone from the list after update is updated', t => {
	const result = classifyModules({...base, modules: ['mod_a'], attempted: new Set(['mod_a'])});
	t.deepEqual(result.updated, ['mod_a']);
	t.deepEqual(result.failed, []);
});

test('list: a module still listed after update failed, with the reason', t => {
	const result = classifyModules({...base, modules: ['mod_a'], attempted: new Set(['mod_a']), verification: listed('mod_a')});
	t.deepEqual(result.updated, []);
	t.is(result.failed[0]?.module, 'mod_a');
	t.regex(result.failed[0]?.reason ?? '', /did not load the new code/);
});

test('a module whose update failed fails with its own reason; the others are verified', t => {
	const result = classifyModules({...base, modules: ['mod_a', 'mod_b', 'mod_c'], attempted: new Set(['mod_a', 'mod_b']), updateErrors: new Map([['mod_a', 'update failed: boom']]), sameVersionAsBefore: new Set(['mod_c'])});
	t.deepEqual(result.failed, [{module: 'mod_a', reason: 'update failed: boom'}]);
	t.deepEqual(result.updated, ['mod_b']);
	t.deepEqual(result.unchanged, ['mod_c']);
});

test('list: an unlisted module with the version seen before is unchanged; with a new version it is not loaded', t => {
	const result = classifyModules({...base, modules: ['same', 'fresh'], sameVersionAsBefore: new Set(['same'])});
	t.deepEqual(result.unchanged, ['same']);
	t.deepEqual(result.notLoaded, ['fresh']);
});

test('content: updated only when the loaded md5 equals the beam md5 after update', t => {
	const result = classifyModules({
		...base,
		modules: ['good', 'stale', 'gone'],
		attempted: new Set(['good', 'stale', 'gone']),
		verification: content({}, {
			good: {loaded: true, loadedMd5: md5.new, diskMd5: md5.new},
			stale: {loaded: true, loadedMd5: md5.old, diskMd5: md5.new},
			gone: {loaded: false, diskMd5: md5.new},
		}),
	});
	t.deepEqual(result.updated, ['good']);
	t.deepEqual(result.failed.map(failure => failure.module), ['stale', 'gone']);
	t.regex(result.failed[0]?.reason ?? '', new RegExp(`md5 ${md5.old}.*md5 ${md5.new}`));
	t.regex(result.failed[1]?.reason ?? '', /not loaded after update/);
});

test('content: not listed and not loaded is notLoaded, whatever the version says', t => {
	const result = classifyModules({...base, modules: ['fresh'], sameVersionAsBefore: new Set(['fresh']), verification: content({fresh: {loaded: false, diskMd5: md5.new}})});
	t.deepEqual(result.notLoaded, ['fresh']);
});

test('content: not listed, loaded, same md5 is unchanged; different md5 means a -vsn that hides the change', t => {
	const result = classifyModules({
		...base,
		modules: ['same', 'pinned'],
		verification: content({
			same: {loaded: true, loadedMd5: md5.old, diskMd5: md5.old},
			pinned: {loaded: true, loadedMd5: md5.old, diskMd5: md5.new},
		}),
	});
	t.deepEqual(result.unchanged, ['same']);
	t.deepEqual(result.failed.map(failure => failure.module), ['pinned']);
	t.regex(result.failed[0]?.reason ?? '', /-vsn/);
});

test('deferred and rejected modules are kept apart from the rest', t => {
	const result = classifyModules({
		...base,
		modules: ['half', 'bad', 'mod_a'],
		deferred: new Set(['half']),
		rejected: new Map([['bad', 'not a beam']]),
		attempted: new Set(['mod_a']),
	});
	t.deepEqual(result.deferred, ['half']);
	t.deepEqual(result.failed, [{module: 'bad', reason: 'not a beam'}]);
	t.deepEqual(result.updated, ['mod_a']);
});

test('every module lands in exactly one class, once', t => {
	const result = classifyModules({
		...base,
		modules: ['a', 'b', 'c', 'd', 'e', 'a'],
		deferred: new Set(['e']),
		attempted: new Set(['a', 'b']),
		verification: listed('b'),
		sameVersionAsBefore: new Set(['c']),
	});
	const all = [...result.updated, ...result.unchanged, ...result.notLoaded, ...result.failed.map(f => f.module), ...result.deferred].sort();
	t.deepEqual(all, ['a', 'b', 'c', 'd', 'e']);
});

test('held-back and out-of-reach modules get their own classes, ahead of verification', t => {
	const result = classifyModules({
		...base,
		modules: ['held', 'far', 'mod_a'],
		attempted: new Set(['mod_a']),
		heldBack: new Set(['held']),
		outOfReach: new Set(['far']),
	});
	t.deepEqual(result.heldBack, ['held']);
	t.deepEqual(result.outOfReach, ['far']);
	t.deepEqual(result.updated, ['mod_a']);
	t.deepEqual(result.failed, []);
});

test('content with a snapshot: updated when the node runs the snapshot\'s code, even if the file moved on since', t => {
	const result = classifyModules({
		...base,
		modules: ['mod_a'],
		attempted: new Set(['mod_a']),
		expectedMd5: new Map([['mod_a', md5.new]]),
		verification: content({}, {mod_a: {loaded: true, loadedMd5: md5.new, diskMd5: 'c'.repeat(32)}}),
	});
	t.deepEqual(result.updated, ['mod_a']);
});

test('content with a snapshot: other code loaded from a file that changed after the snapshot is deferred (re-checked), never updated', t => {
	const result = classifyModules({
		...base,
		modules: ['mod_a'],
		attempted: new Set(['mod_a']),
		expectedMd5: new Map([['mod_a', md5.new]]),
		verification: content({}, {mod_a: {loaded: true, loadedMd5: 'c'.repeat(32), diskMd5: 'c'.repeat(32)}}),
	});
	t.deepEqual(result.updated, []);
	t.deepEqual(result.deferred, ['mod_a']);
});

test('content with a snapshot: old code still loaded while the file is the snapshot\'s is a failure, not a re-check', t => {
	const result = classifyModules({
		...base,
		modules: ['mod_a'],
		attempted: new Set(['mod_a']),
		expectedMd5: new Map([['mod_a', md5.new]]),
		verification: content({}, {mod_a: {loaded: true, loadedMd5: md5.old, diskMd5: md5.new}}),
	});
	t.deepEqual(result.deferred, []);
	t.regex(result.failed[0]?.reason ?? '', /did not load the new code/);
});

test('content with a snapshot: a module not listed because update_info saw another file than the snapshot is deferred, not unchanged or failed', t => {
	const result = classifyModules({
		...base,
		modules: ['rewritten', 'half_written', 'same'],
		expectedMd5: new Map([['rewritten', md5.new], ['half_written', md5.new], ['same', md5.old]]),
		verification: content({
			rewritten: {loaded: true, loadedMd5: md5.old, diskMd5: md5.old},
			half_written: {loaded: true, loadedMd5: md5.old},
			same: {loaded: true, loadedMd5: md5.old, diskMd5: md5.old},
		}),
	});
	t.deepEqual(result.deferred, ['rewritten', 'half_written']);
	t.deepEqual(result.unchanged, ['same']);
	t.deepEqual(result.failed, []);
});

test('content with a snapshot: an update error while the file was being rewritten is deferred; with the snapshot still on disk it fails', t => {
	const result = classifyModules({
		...base,
		modules: ['raced', 'broken'],
		attempted: new Set(['raced', 'broken']),
		updateErrors: new Map([['raced', 'update failed: bad_object_code'], ['broken', 'update failed: on_load']]),
		expectedMd5: new Map([['raced', md5.new], ['broken', md5.new]]),
		verification: content({}, {raced: {loaded: true, loadedMd5: md5.old}, broken: {loaded: true, loadedMd5: md5.old, diskMd5: md5.new}}),
	});
	t.deepEqual(result.deferred, ['raced']);
	t.deepEqual(result.failed, [{module: 'broken', reason: 'update failed: on_load'}]);
});

test('content with a snapshot: a module the node already ran the snapshot of is unchanged, even though update_info listed it for a newer file', t => {
	const result = classifyModules({
		...base,
		modules: ['mod_a'],
		attempted: new Set(['mod_a']),
		expectedMd5: new Map([['mod_a', md5.old]]),
		verification: content({mod_a: {loaded: true, loadedMd5: md5.old, diskMd5: md5.new}}, {mod_a: {loaded: true, loadedMd5: md5.old}}),
	});
	t.deepEqual(result.updated, []);
	t.deepEqual(result.unchanged, ['mod_a']);
});
