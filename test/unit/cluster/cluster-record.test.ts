import test from 'ava';
import type {NodeOutcome} from '../../../daemon/reloader/batch-record.ts';
import {entry, memberRecord, NEW, OLD, record, updatedOn} from './_records.ts';

const states = (nodes: Readonly<Record<string, NodeOutcome>> | undefined) => Object.entries(nodes ?? {}).map(([node, {state, ok}]) => [node, state, ok]);

test('every member updated: ok, the module updated, each member done with what it runs now and its disk', t => {
	const merged = record([updatedOn('a@h1'), updatedOn('b@h2')]);
	t.true(merged.ok);
	t.like(merged, {event: 'batch', id: 12, node: 'a@h1', transport: 'dist', updated: ['mod_x'], failed: [], unchanged: [], verifiedBy: 'content'});
	t.deepEqual(states(merged.nodes), [['a@h1', 'done', true], ['b@h2', 'done', true]]);
	t.deepEqual(merged.nodes?.['b@h2']?.running, {mod_x: NEW});
	t.deepEqual(merged.nodes?.['b@h2']?.disk, {mod_x: NEW});
	t.like(merged.durations, {waitMs: 300, syncMs: 40, updateInfoMs: 2, updateMs: 3, verifyMs: 1, totalMs: 55});
	t.is(merged.raw.updateInfo, 'a@h1: [] on a@h1\nb@h2: [] on b@h2');
});

test('running: what the member ran before, overlaid by what its batch verified', t => {
	const merged = record([
		entry('a@h1', {state: 'done', record: memberRecord('a@h1', {updated: ['mod_x'], unchanged: ['mod_y'], running: {mod_x: NEW}})}, ['mod_x', 'mod_y']),
	], {modules: ['mod_x', 'mod_y']});
	t.deepEqual(merged.nodes?.['a@h1']?.running, {mod_x: NEW, mod_y: OLD});
	t.deepEqual(merged.unchanged, ['mod_y']);
});

/** mod_x's class on two members → its top-level class. */
const worst = test.macro({
	exec(t, first: 'updated' | 'unchanged' | 'notLoaded' | 'heldBack' | 'outOfReach' | 'deferred', second: typeof first, expected: typeof first) {
		const merged = record([
			entry('a@h1', {state: 'done', record: memberRecord('a@h1', {[first]: ['mod_x'], ok: first !== 'outOfReach'})}),
			entry('b@h2', {state: 'done', record: memberRecord('b@h2', {[second]: ['mod_x'], ok: second !== 'outOfReach'})}),
		]);
		for (const name of ['updated', 'unchanged', 'notLoaded', 'heldBack', 'outOfReach', 'deferred'] as const) {
			t.deepEqual(merged[name], name === expected ? ['mod_x'] : [], name);
		}
		t.deepEqual(merged.failed, []);
	},
	title: (_provided, first: string, second: string, expected: string) => `${first} on one member and ${second} on another is ${expected}`,
});

test(worst, 'updated', 'unchanged', 'updated');
test(worst, 'unchanged', 'notLoaded', 'notLoaded');
test(worst, 'notLoaded', 'updated', 'updated');
test(worst, 'updated', 'deferred', 'deferred');
test(worst, 'heldBack', 'updated', 'heldBack');
test(worst, 'updated', 'outOfReach', 'outOfReach');
test(worst, 'heldBack', 'outOfReach', 'outOfReach');

test('a module failed on one member is failed, naming that member; updated elsewhere does not hide it', t => {
	const merged = record([
		updatedOn('a@h1'),
		entry('b@h2', {state: 'done', record: memberRecord('b@h2', {ok: false, failed: [{module: 'mod_x', reason: 'on_load returned error', hint: 'see ejabberd.log'}]})}),
	]);
	t.false(merged.ok);
	t.deepEqual(merged.updated, []);
	t.deepEqual(merged.failed, [{module: 'mod_x', node: 'b@h2', reason: 'on b@h2: on_load returned error', hint: 'see ejabberd.log'}]);
	t.deepEqual(states(merged.nodes), [['a@h1', 'done', true], ['b@h2', 'done', false]]);
});

test('a lagging member: nothing loaded there, each mismatch failed on it, what it still runs and its disk', t => {
	const merged = record([
		updatedOn('a@h1'),
		entry('c@h3', {state: 'lagging', mismatches: [{module: 'mod_x', disk: OLD, expected: NEW}], waitedMs: 30_000}, ['mod_x'], {disk: {mod_x: OLD}}),
	]);
	t.false(merged.ok);
	const lagging = merged.nodes?.['c@h3'];
	t.like(lagging, {state: 'lagging', ok: false, reason: 'its disk did not hold the daemon\'s beams after 30000 ms', updated: [], unpurged: null});
	t.deepEqual(lagging?.running, {mod_x: OLD});
	t.deepEqual(lagging?.disk, {mod_x: OLD});
	t.deepEqual(lagging?.failed, [{module: 'mod_x', reason: `its disk has md5 ${OLD}, the daemon's beam ${NEW} (after 30000 ms): nothing loaded there`}]);
	t.deepEqual(merged.failed.map(({module, node}) => [module, node]), [['mod_x', 'c@h3']]);
	t.deepEqual(merged.updated, []);
});

test('a lagging member fails every module of the batch on it, the ones its disk agrees on too', t => {
	const merged = record([
		entry('c@h3', {state: 'lagging', mismatches: [{module: 'mod_x', disk: null, expected: NEW}], waitedMs: 5}, ['mod_x', 'mod_y']),
	], {modules: ['mod_x', 'mod_y']});
	t.deepEqual(merged.failed.map(({module, node, reason}) => [module, node, reason]), [
		['mod_x', 'c@h3', `on c@h3: its disk has md5 none, the daemon's beam ${NEW} (after 5 ms): nothing loaded there`],
		['mod_y', 'c@h3', 'not loaded on c@h3: its disk did not hold the daemon\'s beams after 5 ms'],
	]);
});

test('an unreachable member: failed there with its reason; what it runs is unknown', t => {
	const merged = record([updatedOn('a@h1'), entry('d@h4', {state: 'unreachable', reason: 'connect ECONNREFUSED'})]);
	t.false(merged.ok);
	t.like(merged.nodes?.['d@h4'], {state: 'unreachable', ok: false, reason: 'connect ECONNREFUSED', killed: [], unpurged: null});
	t.deepEqual(merged.nodes?.['d@h4']?.running, {});
	t.deepEqual(merged.nodes?.['d@h4']?.disk, {mod_x: NEW});
	t.deepEqual(merged.failed, [{module: 'mod_x', node: 'd@h4', reason: 'not loaded on d@h4: connect ECONNREFUSED'}]);
});

test('a skipped member keeps its old code: failed there, running what it ran', t => {
	const merged = record([updatedOn('a@h1'), entry('e@h5', {state: 'skipped', reason: 'the rolling rollout stopped at b@h2'})]);
	t.false(merged.ok);
	t.like(merged.nodes?.['e@h5'], {state: 'skipped', ok: false, reason: 'the rolling rollout stopped at b@h2'});
	t.deepEqual(merged.nodes?.['e@h5']?.running, {mod_x: OLD});
	t.deepEqual(merged.failed, [{module: 'mod_x', node: 'e@h5', reason: 'not loaded on e@h5: the rolling rollout stopped at b@h2'}]);
});

test('halted (onLag: fail): every module failed with the reason and no member; deferred and early failures kept once', t => {
	const halted = 'nothing was loaded on any node: the disk of c@h3 did not hold the daemon\'s beam within cluster.syncTimeoutMs (30000 ms); cluster.onLag: fail';
	const merged = record([
		entry('a@h1', {state: 'skipped', reason: 'c@h3 lagged (cluster.onLag: fail)'}, ['mod_x']),
		entry('c@h3', {state: 'lagging', mismatches: [{module: 'mod_x', disk: OLD, expected: NEW}], waitedMs: 30_000}),
	], {
		modules: ['mod_x', 'mod_half', 'mod_bad'],
		deferred: ['mod_half'],
		failed: [{module: 'mod_bad', reason: 'not a beam'}],
		halted,
	});
	t.false(merged.ok);
	t.deepEqual(merged.deferred, ['mod_half']);
	t.deepEqual(merged.failed, [{module: 'mod_bad', reason: 'not a beam'}, {module: 'mod_x', reason: halted}]);
	t.deepEqual(states(merged.nodes), [['a@h1', 'skipped', false], ['c@h3', 'lagging', false]]);
});

test('ok only when every member runs the new code: a member whose batch was not ok makes the cluster\'s not ok', t => {
	t.true(record([updatedOn('a@h1'), entry('b@h2', {state: 'done', record: memberRecord('b@h2', {notLoaded: ['mod_x']})})]).ok);
	t.false(record([updatedOn('a@h1'), entry('b@h2', {state: 'done', record: memberRecord('b@h2', {ok: false, outOfReach: ['mod_x']})})]).ok);
	t.false(record([updatedOn('a@h1'), entry('b@h2', {state: 'unreachable', reason: 'down'})], {modules: []}).ok, 'even with nothing to load');
	t.true(record([updatedOn('a@h1')], {modules: ['mod_x', 'mod_half'], deferred: ['mod_half']}).ok, 'a deferred module comes again');
});

test('killed and holders are merged over members; unpurged is null as soon as one member cannot know', t => {
	const killed = (node: string) => [{module: 'mod_x', processes: [{pid: `<${node}.1.0>`}]}];
	const merged = record([
		entry('a@h1', {state: 'done', record: memberRecord('a@h1', {updated: ['mod_x'], killed: killed('a'), unpurged: [], holders: [{module: 'mod_y', processes: [{pid: '<a.2.0>'}]}]})}),
		entry('b@h2', {state: 'done', record: memberRecord('b@h2', {updated: ['mod_x'], killed: killed('b'), unpurged: [], holders: [{module: 'mod_y', processes: [{pid: '<b.2.0>'}]}]})}),
	]);
	t.deepEqual(merged.killed, [...killed('a'), ...killed('b')]);
	t.deepEqual(merged.holders, [{module: 'mod_y', processes: [{pid: '<a.2.0>'}, {pid: '<b.2.0>'}]}]);
	t.deepEqual(merged.unpurged, []);
	const unknown = record([updatedOn('a@h1'), entry('b@h2', {state: 'done', record: memberRecord('b@h2', {updated: ['mod_x'], unpurged: null})})]);
	t.is(unknown.unpurged, null);
});
