import test from 'ava';
import type {PipelineStatus} from '../../../daemon/pipeline-status.ts';
import {healthAnswer, statusAnswer} from '../../../daemon/api/status-routes.ts';
import {BeamIndex} from '../../../daemon/modules/beam-index.ts';
import type {ServiceCalls} from '../../../daemon/service-calls.ts';
import type {MemberStatus} from '../../../daemon/reloader/batch-reloader.ts';

function daemonWith(status: Partial<PipelineStatus>): ServiceCalls {
	const full: PipelineStatus = {node: 'a@h1', transport: 'dist', connected: true, directories: ['/x/ebin'], unsettledBeams: 0, pendingChanges: 0, queuedBatches: 0, runningBatches: 0, ...status};
	const unused = async () => Promise.reject(new Error('not used'));
	return {reconcile: unused, update: unused, updateInfo: unused, status: () => full, index: new BeamIndex()};
}

const up = (node: string): MemberStatus => ({node, connected: true, versions: {ejabberd: '24.12'}, lagging: []});
const down = (node: string, reason?: string): MemberStatus => ({node, connected: false, versions: {}, ...(reason === undefined ? {} : {reason}), lagging: ['mod_x']});

test('a single node answers exactly as before: {ok: true}, or 503 when it is away', t => {
	t.deepEqual(healthAnswer(daemonWith({})), {status: 200, body: {ok: true}});
	const away = healthAnswer(daemonWith({connected: false}));
	t.is(away.status, 503);
	t.deepEqual(away.body, {ok: false, code: 'ERR_NODE_DOWN', reason: 'The node a@h1 is unreachable, or the daemon has not initialised it yet'});
});

test('a cluster with every member reachable is 200 ok', t => {
	t.deepEqual(healthAnswer(daemonWith({members: [up('a@h1'), up('b@h2')]})), {status: 200, body: {ok: true, status: 'ok'}});
});

test('a cluster with some members unreachable is 200 degraded, naming them and why', t => {
	const answer = healthAnswer(daemonWith({members: [up('a@h1'), down('b@h2', 'connect ECONNREFUSED 10.0.0.2:4370'), down('c@h3')]}));
	t.is(answer.status, 200);
	t.deepEqual(answer.body, {
		ok: true,
		status: 'degraded',
		reason: '2 of 3 cluster members unreachable, reconciled when they come back: b@h2 (connect ECONNREFUSED 10.0.0.2:4370), c@h3 (not connected yet)',
		unreachable: ['b@h2', 'c@h3'],
	});
	t.is(answer.headers?.['Retry-After'], undefined);
});

test('a cluster with no member reachable is 503, like a node that is away', t => {
	const answer = healthAnswer(daemonWith({members: [down('a@h1', 'timeout'), down('b@h2', 'line1\nline2')]}));
	t.is(answer.status, 503);
	t.is(answer.headers?.['Retry-After'], '5');
	t.deepEqual(answer.body, {ok: false, code: 'ERR_NODE_DOWN', reason: 'No member of the cluster is reachable, or the daemon has not initialised one yet (a@h1 (timeout), b@h2 (line1\\nline2))'});
	const neverUp = healthAnswer(daemonWith({connected: false, members: [up('a@h1')]}));
	t.is(neverUp.status, 503);
	t.regex((neverUp.body as {reason: string}).reason, /^No member of the cluster is reachable/);
});

test('stuck beams make a degraded cluster unhealthy too', t => {
	const answer = healthAnswer(daemonWith({members: [up('a@h1'), down('b@h2')], stuckBeams: [{path: '/x/ebin/a.beam', unsettledMs: 3000}]}));
	t.is(answer.status, 503);
	t.regex((answer.body as {reason: string}).reason, /1 beam\(s\) unsettled/);
});

test('/status shows every member; a single node shows no `members`', t => {
	const members = [up('a@h1'), {...down('b@h2', 'timeout'), lastBatch: {id: 4, state: 'unreachable', ok: false}}];
	const source = (daemon: ServiceCalls) => ({daemon, version: 't', startedAt: 0, lastBatch: () => undefined});
	t.deepEqual((statusAnswer(source(daemonWith({members})), 0).body as {members: unknown}).members, members);
	t.false('members' in (statusAnswer(source(daemonWith({})), 0).body as object));
});
