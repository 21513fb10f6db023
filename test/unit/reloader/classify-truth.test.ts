import test from 'ava';
import {classifyModules, KEPT_VSN_HINT, type ClassificationInput} from '../../../daemon/reloader/classify-modules.ts';

const none = new Set<string>();
const base: ClassificationInput = {
	modules: [], deferred: none, rejected: new Map(), attempted: none, updateErrors: new Map(), outOfReach: none, heldBack: none,
	verification: {kind: 'list', listedAfter: none}, sameVersionAsBefore: none,
};

test('list: a kept -vsn over changed code (the daemon\'s own two readings) is failed with the hint, not unchanged', t => {
	const result = classifyModules({...base, modules: ['mod_v', 'mod_same'], sameVersionAsBefore: new Set(['mod_v', 'mod_same']), keptVsn: new Set(['mod_v'])});
	t.deepEqual(result.unchanged, ['mod_same']);
	t.is(result.failed[0]?.module, 'mod_v');
	t.regex(result.failed[0]?.reason ?? '', /code changed since the daemon last read it \(code md5\) but its -vsn did not/);
	t.is(result.failed[0]?.hint, KEPT_VSN_HINT);
});

test('content: a kept -vsn is told by the node\'s MD5s, with the same hint', t => {
	const result = classifyModules({...base, modules: ['mod_v'], verification: {kind: 'content', before: new Map([['mod_v', {loaded: true, loadedMd5: 'a', diskMd5: 'b'}]]), after: new Map()}});
	t.is(result.failed[0]?.hint, KEPT_VSN_HINT);
	t.regex(result.failed[0]?.reason ?? '', /loaded md5 a, beam md5 b/);
});

test('a soft purge that timed out is failed with its holders, before held back', t => {
	const holders = [{pid: '<0.1.0>', name: 'loop'}];
	const result = classifyModules({...base, modules: ['mod_h', 'mod_k'], heldBack: new Set(['mod_k']), purgeTimedOut: new Map([['mod_h', {reason: 'held', hint: 'force', holders}]])});
	t.deepEqual(result.failed, [{module: 'mod_h', reason: 'held', hint: 'force', holders}]);
	t.deepEqual(result.heldBack, ['mod_k']);
});

test('list: a failure quotes what 24.12\'s ejabberdctl or mod_http_api answered', t => {
	const result = classifyModules({...base, modules: ['mod_a', 'mod_b'], attempted: new Set(['mod_a', 'mod_b']), verification: {kind: 'list', listedAfter: new Set(['mod_a', 'mod_b'])}, said: new Map([['mod_a', 'notUpdated'], ['mod_b', 'updated']])});
	t.regex(result.failed[0]?.reason ?? '', /did not load the new code; ejabberd answered "Not updated: mod_a"/);
	t.regex(result.failed[1]?.reason ?? '', /did not load the new code, although ejabberd answered "Updated: mod_b"/);
});

test('out of reach stays its own class (the record makes it not ok)', t => {
	const result = classifyModules({...base, modules: ['mod_c'], outOfReach: new Set(['mod_c'])});
	t.deepEqual(result.outOfReach, ['mod_c']);
	t.deepEqual(result.failed, []);
});
