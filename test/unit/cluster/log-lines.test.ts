import {PassThrough} from 'node:stream';
import test from 'ava';
import {formatEventLine} from '../../../daemon/cli/tail/event-line.ts';
import {createRecordLogger} from '../../../daemon/log/create-logger.ts';
import {levelOf, detailLines, summarize} from '../../../daemon/log/format-record.ts';
import type {DaemonRecord} from '../../../daemon/records.ts';
import {entry, memberRecord, NEW, OLD, record, updatedOn} from './_records.ts';

/** One member of each kind: updated, failed there, lagging, unreachable, skipped. */
const batch = record([
	updatedOn('a@h1'),
	entry('b@h2', {state: 'done', record: memberRecord('b@h2', {ok: false, failed: [{module: 'mod_x', reason: 'on_load returned error', hint: 'see ejabberd.log'}], running: {mod_x: OLD}})}),
	entry('c@h3', {state: 'lagging', mismatches: [{module: 'mod_x', disk: OLD, expected: NEW}], waitedMs: 30_000}, ['mod_x'], {disk: {mod_x: OLD}}),
	entry('d@h4', {state: 'unreachable', reason: 'connect ECONNREFUSED 10.0.0.4:4370'}),
	entry('e@h5', {state: 'skipped', reason: 'the rolling rollout stopped at b@h2; this node keeps its old code'}),
]);

const now = new Date(2026, 10, 29, 20, 1, 2, 3);

test('a cluster batch\'s summary names the failing members and each member\'s state, and the sync time', t => {
	t.is(summarize(batch), 'batch 12 (watch) failed=[mod_x on b@h2,mod_x on c@h3,mod_x on d@h4,mod_x on e@h5] nodes=[a@h1 ok, b@h2 NOT ok, c@h3 lagging, d@h4 unreachable, e@h5 skipped] wait=300ms sync=40ms update_info=2ms update=3ms verify=1ms total=55ms');
	t.is(levelOf(batch), 'warn');
	const allGood = record([updatedOn('a@h1'), updatedOn('b@h2')]);
	t.is(summarize(allGood), 'batch 12 (watch) updated=[mod_x] nodes=[a@h1 ok, b@h2 ok] wait=300ms sync=40ms update_info=2ms update=3ms verify=1ms total=55ms');
	t.is(levelOf(allGood), 'info');
});

test('one line per member: its state, what it runs now, and why not when it does not', t => {
	t.deepEqual(detailLines(batch), [
		{level: 'info', text: 'batch 12 a@h1 (done, ok): updated=[mod_x] md5 mod_x=b2b2b2b2…'},
		{level: 'warn', text: 'batch 12 b@h2 (done, NOT ok): failed=[mod_x (on_load returned error; see ejabberd.log)] md5 mod_x=a1a1a1a1…'},
		{level: 'warn', text: `batch 12 c@h3 (lagging): its disk did not hold the daemon's beams after 30000 ms; failed=[mod_x (its disk has md5 ${OLD}, the daemon's beam ${NEW} (after 30000 ms): nothing loaded there)] still runs md5 mod_x=a1a1a1a1…`},
		{level: 'warn', text: 'batch 12 d@h4 (unreachable): connect ECONNREFUSED 10.0.0.4:4370'},
		{level: 'warn', text: 'batch 12 e@h5 (skipped): the rolling rollout stopped at b@h2; this node keeps its old code; still runs md5 mod_x=a1a1a1a1…'},
	]);
});

test('a member whose update killed processes is a warn line; a never-loaded module reads as such', t => {
	const killed = [{module: 'mod_x', processes: [{pid: '<1.2.3>'}]}];
	const lines = detailLines(record([
		entry('a@h1', {state: 'done', record: memberRecord('a@h1', {updated: ['mod_x'], killed, running: {mod_x: NEW}})}),
		entry('b@h2', {state: 'done', record: memberRecord('b@h2', {notLoaded: ['mod_x'], running: {mod_x: null}})}),
	]));
	t.deepEqual(lines, [
		{level: 'warn', text: 'batch 12 a@h1 (done, ok): updated=[mod_x] killed=[mod_x: 1 process(es)] md5 mod_x=b2b2b2b2…'},
		{level: 'info', text: 'batch 12 b@h2 (done, ok): notLoaded=[mod_x] md5 mod_x=not loaded'},
	]);
});

test('a single node\'s batch has no member lines and reads as before', t => {
	const single = memberRecord('n@h', {updated: ['mod_x']});
	t.deepEqual(detailLines(single), []);
	t.is(summarize(single), 'batch 12 (watch) updated=[mod_x] wait=0ms update_info=2ms update=3ms verify=1ms total=6ms');
	t.deepEqual(detailLines({event: 'node', node: 'n@h', state: 'up'}), []);
});

test('tail prints the batch line, then one line per member at its own level', t => {
	const lines = formatEventLine({event: 'batch', id: '3', data: JSON.stringify(batch)}, {colors: false, now}).split('\n');
	t.is(lines.length, 6);
	t.is(lines[0], `20:01:02.003 warn  ${summarize(batch)}`);
	t.is(lines[1], '20:01:02.003 info  batch 12 a@h1 (done, ok): updated=[mod_x] md5 mod_x=b2b2b2b2…');
	t.is(lines[4], '20:01:02.003 warn  batch 12 d@h4 (unreachable): connect ECONNREFUSED 10.0.0.4:4370');
	const coloured = formatEventLine({event: 'batch', id: '3', data: JSON.stringify(batch)}, {colors: true, now}).split('\n');
	t.is(coloured[1], '20:01:02.003 \u001B[32minfo \u001B[39m batch 12 a@h1 (done, ok): updated=[mod_x] md5 mod_x=b2b2b2b2…');
});

test('sync records say what the member\'s disk holds against the daemon\'s beam, and what to do about a lagging one', t => {
	const modules = [{module: 'mod_x', disk: OLD, expected: NEW}, {module: 'mod_y', disk: null, expected: NEW}];
	const waiting: DaemonRecord = {event: 'sync', batch: 12, node: 'c@h3', state: 'waiting', modules, waitedMs: 200, syncTimeoutMs: 30_000};
	t.is(summarize(waiting), 'batch 12: waiting for node c@h3: disk has md5 a1a1a1a1… for mod_x (the daemon\'s: b2b2b2b2…), no readable beam for mod_y (the daemon\'s: b2b2b2b2…); waited 200 of 30000 ms');
	t.is(levelOf(waiting), 'info');
	const lagging: DaemonRecord = {...waiting, state: 'lagging', modules: modules.slice(0, 1), waitedMs: 30_004};
	t.is(summarize(lagging), 'batch 12: node c@h3 lagging: after 30004 ms (cluster.syncTimeoutMs) its disk still has md5 a1a1a1a1… for mod_x (the daemon\'s: b2b2b2b2…); nothing of this batch is loaded there. Once its disk holds the beams (checked every cluster.pollMs), the daemon updates them on every member that lags');
	t.is(levelOf(lagging), 'warn');
});

test('a member joining or leaving is one line; leaving is a warning', t => {
	const joined: DaemonRecord = {event: 'node', node: 'c@h3', state: 'joined'};
	const left: DaemonRecord = {event: 'node', node: 'c@h3', state: 'left', reason: 'a@h1 no longer lists it in ejabberd_cluster:get_nodes()'};
	t.is(summarize(joined), 'node c@h3 joined the cluster; it is reconciled with the others');
	t.is(levelOf(joined), 'info');
	t.is(summarize(left), 'node c@h3 left the cluster: a@h1 no longer lists it in ejabberd_cluster:get_nodes(); no longer reloaded');
	t.is(levelOf(left), 'warn');
});

async function logged(format: 'pretty' | 'json', level: 'info' | 'warn'): Promise<string[]> {
	const stderr = new PassThrough();
	let text = '';
	stderr.on('data', (chunk: Buffer) => {
		text += chunk.toString();
	});
	const logger = createRecordLogger({level, format, colors: false, journal: false, stderr});
	logger.log(batch);
	await logger.close();
	return text.split('\n').filter(line => line !== '');
}

test('the pretty log prints a line per member too; the JSON log keeps one record for the batch', async t => {
	const pretty = await logged('pretty', 'info');
	t.is(pretty.length, 6);
	t.regex(pretty[0] ?? '', /^\d\d:\d\d:\d\d\.\d{3} warn {2}batch 12 \(watch\) failed=/);
	t.regex(pretty[5] ?? '', /^\d\d:\d\d:\d\d\.\d{3} warn {2}batch 12 e@h5 \(skipped\): /);
	t.is((await logged('pretty', 'warn')).length, 5, 'the ok member\'s info line is below warn');
	const json = await logged('json', 'info');
	t.is(json.length, 1);
	const parsed = JSON.parse(json[0] ?? '') as {message: string; nodes: Record<string, {state: string}>};
	t.is(parsed.message, summarize(batch));
	t.deepEqual(Object.entries(parsed.nodes).map(([node, {state}]) => [node, state]), [['a@h1', 'done'], ['b@h2', 'done'], ['c@h3', 'lagging'], ['d@h4', 'unreachable'], ['e@h5', 'skipped']]);
});
