import test from 'ava';
import {batchAnswer} from '../../../daemon/api/batch-answer.ts';
import {batchRecord} from './_fake-daemon.ts';

test('ok is 200; a failed module 500; out of reach without failures 409, with the hint', t => {
	t.is(batchAnswer(batchRecord()).status, 200);
	t.is(batchAnswer(batchRecord({ok: false, failed: [{module: 'mod_a', reason: 'x'}]})).status, 500);
	const outOfReach = batchAnswer(batchRecord({ok: false, updated: [], outOfReach: ['mod_c'], hint: 'NOT loaded: use transport: dist'}));
	t.is(outOfReach.status, 409);
	t.like(outOfReach.body, {ok: false, outOfReach: ['mod_c'], hint: 'NOT loaded: use transport: dist'});
});

test('the answer carries versions, purge, retries, killed and unpurged', t => {
	const body = batchAnswer(batchRecord({versions: {ejabberd: '24.12'}, purge: 'brutal', retried: ['mod_a'], killed: [{module: 'mod_a', processes: [{pid: '<0.1.0>', name: 'loop'}]}], unpurged: null})).body;
	t.like(body, {versions: {ejabberd: '24.12'}, purge: 'brutal', retried: ['mod_a'], killed: [{module: 'mod_a', processes: [{pid: '<0.1.0>', name: 'loop'}]}], unpurged: null});
});
