import test, {type ExecutionContext} from 'ava';
import {ApiError} from '../../../daemon/api/api-error.ts';
import {parseUpdateRequest} from '../../../daemon/api/parse-module-list.ts';
import {MAX_NODES, parseNodeList, parseNodesQuery, parseReconcileBody} from '../../../daemon/api/parse-node-list.ts';
import {ReloaderError} from '../../../daemon/errors.ts';
import {rawRequest} from '../api/_http.ts';
import {batchRecord, serve, type ErrorAnswer} from '../api/_fake-daemon.ts';
import type {BatchRecord} from '../../../daemon/reloader/batch-record.ts';
import {entry, record, updatedOn} from './_records.ts';

const JSON_HEADERS = {'Content-Type': 'application/json'};

/** A 400 ERR_API_BODY_SHAPE whose message says what was wrong, and whose hint says what to send. */
function assertShapeError(t: ExecutionContext, run: () => unknown, message: RegExp): void {
	const error = t.throws(run, {instanceOf: ApiError});
	t.is(error?.status, 400);
	t.is(error?.code as string | undefined, 'ERR_API_BODY_SHAPE');
	t.regex(error?.message ?? '', message);
	t.regex(error?.hint ?? '', /\{"nodes": \["ejabberd@host2"\]\}.*\?nodes=/);
}

const refusesNodes = test.macro({
	exec(t: ExecutionContext, value: unknown, message: RegExp) {
		assertShapeError(t, () => parseNodeList(value), message);
	},
	title: (provided, value: unknown) => provided ?? `refuses nodes ${JSON.stringify(value)}`,
});

test('a list of names is kept in order, duplicates dropped', t => {
	t.deepEqual(parseNodeList(['b@host2', 'a@host1.example.net', 'b@host2']), ['b@host2', 'a@host1.example.net']);
	t.deepEqual(parseNodeList([`x@${'h'.repeat(200)}`, 'ejabberd_2-b@10.0.0.7']), [`x@${'h'.repeat(200)}`, 'ejabberd_2-b@10.0.0.7']);
});

test(refusesNodes, 'a@h', /`nodes` to be a list of node names.*got `"a@h"` \(string\)/);
test(refusesNodes, null, /got `null` \(null\)/);
test(refusesNodes, {node: 'a@h'}, /got `\{"node":"a@h"\}` \(object\)/);
test(refusesNodes, [], /at least one node, got an empty list.*leave `nodes` out/);
test(refusesNodes, ['a@h', 7], /node name like ejabberd@host2.*got `7` \(number\) at index 1/);
test(refusesNodes, ['a@h', 'no-at-sign'], /got `"no-at-sign"` \(string\) at index 1/);
test(refusesNodes, ['../x@h'], /got `"..\/x@h"` \(string\) at index 0/);
test(refusesNodes, ['a.b@h'], /at index 0/);
test(refusesNodes, ['a@h@h'], /at index 0/);
test(refusesNodes, ['a@h\n'], /at index 0/);
test(refusesNodes, ['a@'], /at index 0/);
test('refuses a name longer than an atom', refusesNodes, [`a@${'h'.repeat(254)}`], /at index 0/);
test('refuses more than MAX_NODES entries, before looking at them', refusesNodes, Array.from({length: MAX_NODES + 1}, () => 42), new RegExp(`at most ${MAX_NODES} nodes, got ${MAX_NODES + 1}`));

test('POST /update-modules bodies take an optional nodes beside modules and purge', t => {
	t.deepEqual(parseUpdateRequest(Buffer.from('{"modules": ["mod_a"], "nodes": ["b@h", "b@h"]}')), {names: ['mod_a'], nodes: ['b@h']});
	t.deepEqual(parseUpdateRequest(Buffer.from('{"nodes": ["b@h"], "purge": "brutal", "modules": ["mod_a"]}')), {names: ['mod_a'], purge: 'brutal', nodes: ['b@h']});
	t.deepEqual(parseUpdateRequest(Buffer.from('["mod_a"]')), {names: ['mod_a']});
	assertShapeError(t, () => parseUpdateRequest(Buffer.from('{"modules": ["mod_a"], "nodes": "b@h"}')), /`nodes` to be a list/);
	const onlyNodes = t.throws(() => parseUpdateRequest(Buffer.from('{"nodes": ["b@h"]}')), {instanceOf: ApiError});
	t.regex(onlyNodes?.message ?? '', /key `modules`, got only `nodes`/);
	t.regex(onlyNodes?.hint ?? '', /"nodes": \["ejabberd@host2"\]/);
});

test('?nodes= is one parameter of comma-separated names; without it, no restriction', t => {
	t.is(parseNodesQuery('/update-modules/all'), undefined);
	t.is(parseNodesQuery('/update-modules/all?'), undefined);
	t.deepEqual(parseNodesQuery('/update-modules/all?nodes=a@h1,b@h2,a@h1'), ['a@h1', 'b@h2']);
	t.deepEqual(parseNodesQuery('/update-modules/all?nodes=a%40h1#frag'), ['a@h1']);
	assertShapeError(t, () => parseNodesQuery('/update-modules/all?nodes='), /`\?nodes=` to name at least one node/);
	assertShapeError(t, () => parseNodesQuery('/update-modules/all?nodes=a@h&nodes=b@h'), /once, with the names separated by commas, got it 2 times/);
	assertShapeError(t, () => parseNodesQuery('/update-modules/all?nodes=a@h,,b@h'), /got `""` \(string\) at index 1/);
	assertShapeError(t, () => parseNodesQuery('/update-modules/all?node=a@h'), /Unknown query parameter\(s\) `"node"`.*only one is `nodes`/);
});

test('a POST /update-modules/all body is empty, {} or {"nodes": [...]}', t => {
	t.is(parseReconcileBody(Buffer.from('')), undefined);
	t.is(parseReconcileBody(Buffer.from(' \n')), undefined);
	t.is(parseReconcileBody(Buffer.from('{}')), undefined);
	t.deepEqual(parseReconcileBody(Buffer.from('{"nodes": ["a@h"]}')), ['a@h']);
	assertShapeError(t, () => parseReconcileBody(Buffer.from('["a@h"]')), /empty body, \{\} or \{"nodes": \[...\]\}, got `\["a@h"\]` \(array\)/);
	assertShapeError(t, () => parseReconcileBody(Buffer.from('{"node": ["a@h"]}')), /only key is `nodes`, got the key\(s\) `"node"`/);
	assertShapeError(t, () => parseReconcileBody(Buffer.from('{"nodes": []}')), /at least one node/);
	t.is(t.throws(() => parseReconcileBody(Buffer.from('{"nodes": [')), {instanceOf: ApiError})?.code, 'ERR_API_JSON');
	t.is(t.throws(() => parseReconcileBody(Buffer.from('['.repeat(1000))), {instanceOf: ApiError})?.code, 'ERR_API_JSON_DEPTH');
});

test('the endpoints pass nodes to the daemon', async t => {
	const {url, daemon} = await serve(t);
	t.is((await rawRequest(url, '/update-modules/all?nodes=b@h2,a@h1')).status, 200);
	t.is((await rawRequest(url, '/update-modules/all', {method: 'POST', headers: JSON_HEADERS, body: '{"nodes": ["c@h3"]}'})).status, 200);
	t.is((await rawRequest(url, '/update-modules', {method: 'POST', headers: JSON_HEADERS, body: '{"modules": ["mod_a"], "nodes": ["b@h2"], "purge": "brutal"}'})).status, 200);
	t.is((await rawRequest(url, '/update-modules/all')).status, 200);
	t.deepEqual(daemon.calls, [
		{method: 'reconcile', nodes: ['b@h2', 'a@h1']},
		{method: 'reconcile', nodes: ['c@h3']},
		{method: 'update', names: ['mod_a'], purge: 'brutal', nodes: ['b@h2']},
		{method: 'reconcile'},
	]);
});

test('a bad nodes value is 400 and queues nothing; nodes given twice, or in the query of POST /update-modules, too', async t => {
	const {url, daemon} = await serve(t);
	const answers = [
		await rawRequest(url, '/update-modules/all?nodes=nope'),
		await rawRequest(url, '/update-modules/all?nodes=a@h', {method: 'POST', headers: JSON_HEADERS, body: '{"nodes": ["a@h"]}'}),
		await rawRequest(url, '/update-modules/all', {method: 'POST', headers: JSON_HEADERS, body: '"a@h"'}),
		await rawRequest(url, '/update-modules?nodes=a@h', {method: 'POST', headers: JSON_HEADERS, body: '["mod_a"]'}),
		await rawRequest(url, '/update-modules', {method: 'POST', headers: JSON_HEADERS, body: '{"modules": ["mod_a"], "nodes": [1]}'}),
	];
	t.deepEqual(answers.map(({status, json}) => [status, json.error?.code]), Array.from({length: answers.length}, () => [400, 'ERR_API_BODY_SHAPE']));
	t.regex(answers[1]?.json.error?.message ?? '', /`nodes` twice/);
	t.regex(answers[3]?.json.error?.message ?? '', /in its JSON body, not in the query/);
	t.deepEqual(daemon.calls, []);
});

test('a node the daemon does not know is 404 ERR_NODE_UNKNOWN, with the daemon\'s message', async t => {
	const {url, daemon} = await serve(t);
	daemon.next = async () => {
		throw new ReloaderError('ERR_NODE_UNKNOWN', '"x@h" is not a member of the cluster (members: a@h, b@h)', {hint: 'Name members exactly as /status lists them.'});
	};
	const answer = await rawRequest(url, '/update-modules/all?nodes=x@h');
	t.is(answer.status, 404);
	t.like(answer.json as unknown as ErrorAnswer, {ok: false, error: {code: 'ERR_NODE_UNKNOWN', message: '"x@h" is not a member of the cluster (members: a@h, b@h)'}});
});

test('requests join a waiting batch only when they name the same members (in any order)', async t => {
	const {url, daemon} = await serve(t);
	let release = () => {};
	const gate = new Promise<void>(resolve => {
		release = resolve;
	});
	let ids = 0;
	daemon.next = async () => {
		const id = ++ids;
		await gate;
		return batchRecord({id});
	};
	// Each request asks status() (is the node up?) right before it joins or starts a call.
	let asked = 0;
	const status = daemon.status.bind(daemon);
	daemon.status = () => {
		asked++;
		return status();
	};
	const until = async (count: number) => {
		while (asked < count) {
			await new Promise(resolve => setImmediate(resolve));
		}
	};
	const running = rawRequest(url, '/update-modules/all?nodes=a@h,b@h');
	await until(1);
	const waiting = [
		rawRequest(url, '/update-modules/all', {method: 'POST', headers: JSON_HEADERS, body: '{"nodes": ["b@h", "a@h"]}'}),
		rawRequest(url, '/update-modules/all?nodes=b@h,a@h,b@h'),
		rawRequest(url, '/update-modules/all?nodes=a@h'),
		rawRequest(url, '/update-modules/all'),
	];
	await until(5);
	release();
	const [first, ...rest] = (await Promise.all([running, ...waiting])).map(answer => answer.json.batch);
	t.not(rest[0], first, 'a request cannot join a running call');
	t.is(rest[0], rest[1], 'the same members in another order join the waiting call');
	t.not(rest[2], rest[0], 'other members do not');
	t.not(rest[3], rest[0], 'every member is another request than some');
	t.is(new Set([first, ...rest]).size, 4);
});

test('a cluster batch answers each member\'s outcome in `nodes`', async t => {
	const {url, daemon} = await serve(t);
	const nodes = {
		'a@h': {state: 'done', ok: true, versions: {}, updated: ['mod_a'], unchanged: [], notLoaded: [], failed: [], deferred: [], outOfReach: [], heldBack: [], running: {mod_a: 'ab'}, disk: {mod_a: 'ab'}, killed: [], unpurged: []},
	} as const;
	daemon.next = async () => batchRecord({nodes});
	const answer = await rawRequest(url, '/update-modules/all');
	t.deepEqual(answer.json.nodes, nodes);
	daemon.next = async () => batchRecord();
	t.false('nodes' in (await rawRequest(url, '/update-modules/all')).json, 'a single node\'s answer has no `nodes`');
});

test('a cluster batch is 503 when every member it was for was unreachable, 500 when not ok otherwise', async t => {
	const {url, daemon} = await serve(t);
	const answer = async (record: BatchRecord) => {
		daemon.next = async () => record;
		return rawRequest(url, '/update-modules/all?nodes=c@h3');
	};
	const away = await answer(record([entry('c@h3', {state: 'unreachable', reason: 'connect ECONNREFUSED'})], {modules: []}));
	t.is(away.status, 503);
	t.is(away.headers['retry-after'], '5');
	t.is((away.json.nodes as Record<string, {state: string}>)['c@h3']?.state, 'unreachable');
	t.is((await answer(record([entry('c@h3', {state: 'unreachable', reason: 'down'})]))).status, 503, 'with modules it could not load too');
	t.is((await answer(record([updatedOn('a@h1'), entry('c@h3', {state: 'unreachable', reason: 'down'})], {modules: []}))).status, 500, 'one member reached');
	t.is((await answer(record([updatedOn('a@h1'), entry('c@h3', {state: 'skipped', reason: 'rolling stopped'})]))).status, 500);
	t.is((await answer(record([updatedOn('a@h1'), updatedOn('c@h3')]))).status, 200);
});
