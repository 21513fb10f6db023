import test from 'ava';
import type {PipelineStatus} from '../../../daemon/pipeline-status.ts';
import {healthAnswer, statusAnswer} from '../../../daemon/api/status-routes.ts';
import {BeamIndex} from '../../../daemon/modules/beam-index.ts';
import type {ServiceCalls} from '../../../daemon/service-calls.ts';

function daemonWith(status: Partial<PipelineStatus>): ServiceCalls {
	const full: PipelineStatus = {node: 'n@h', transport: 'dist', connected: true, directories: ['/x/ebin'], unsettledBeams: 0, pendingChanges: 0, queuedBatches: 0, runningBatches: 0, ...status};
	const unused = async () => Promise.reject(new Error('not used'));
	return {reconcile: unused, update: unused, updateInfo: unused, status: () => full, index: new BeamIndex()};
}

test('healthy when connected and nothing is stuck', t => {
	t.is(healthAnswer(daemonWith({unsettledBeams: 2, oldestUnsettledMs: 300, stuckBeams: []})).status, 200);
});

test('503 naming the beams unsettled past the deadline, escaped, with Retry-After', t => {
	const answer = healthAnswer(daemonWith({unsettledBeams: 1, oldestUnsettledMs: 12_345, stuckBeams: [{path: '/x/ebin/a\u001b[2J.beam', unsettledMs: 12_345}]}));
	t.is(answer.status, 503);
	t.is(answer.headers?.['Retry-After'], '5');
	const {reason} = answer.body as {reason: string};
	t.is(reason, '1 beam(s) unsettled past the deadline, so their changes are not reaching the node: "/x/ebin/a\\x1b[2J.beam" (12.3 s)');
});

test('each 503 carries a stable code, so that a probe tells a node down from stuck beams (and from the API\'s own ERR_API_BUSY)', t => {
	const down = healthAnswer(daemonWith({connected: false}));
	t.is(down.status, 503);
	t.like(down.body, {ok: false, code: 'ERR_NODE_DOWN'});
	const stuck = healthAnswer(daemonWith({stuckBeams: [{path: '/x/a.beam', unsettledMs: 5000}]}));
	t.is(stuck.status, 503);
	t.like(stuck.body, {ok: false, code: 'ERR_BEAM_INCOMPLETE'});
});

test('an unreachable node is still the first reason', t => {
	t.regex(JSON.stringify(healthAnswer(daemonWith({connected: false, stuckBeams: [{path: '/x/a.beam', unsettledMs: 5000}]})).body), /unreachable/);
});

test('/status shows oldestUnsettledMs and stuckBeams beside unsettledBeams', t => {
	const answer = statusAnswer({daemon: daemonWith({unsettledBeams: 1, oldestUnsettledMs: 5000, stuckBeams: [{path: '/x/a.beam', unsettledMs: 5000}]}), version: 't', startedAt: 0, lastBatch: () => undefined}, 1000);
	t.like(answer.body, {queue: {unsettledBeams: 1, oldestUnsettledMs: 5000, stuckBeams: [{path: '/x/a.beam', unsettledMs: 5000}]}});
});
