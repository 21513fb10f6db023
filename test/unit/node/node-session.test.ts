import test from 'ava';
import {NodeSession} from '../../../daemon/node/node-session.ts';
import type {InitRecord} from '../../../daemon/records.ts';
import {fakeTransport} from '../../support/fake-transport.ts';

/** The session's own logic only: a transport that counts init calls and reports a settable incarnation. */
function setup() {
	const state = {inits: 0, incarnation: 1 as number | undefined};
	const transport = fakeTransport({
		kind: 'dist',
		node: 'n@h',
		async ensureUpdaterLoaded() {
			state.inits++;
			return {method: 'code:ensure_loaded', wasLoaded: false};
		},
		async updateInfo() {
			return {modules: [], raw: ''};
		},
		async update() {
			return {raw: ''};
		},
		incarnation: () => state.incarnation,
		async close() {},
	});
	const records: InitRecord[] = [];
	return {state, session: new NodeSession(transport, record => records.push(record)), records};
}

test('the init step runs once, then not again while the node is the same', async t => {
	const {state, session, records} = setup();
	await session.ready();
	await session.ready();
	t.is(state.inits, 1);
	t.is(records.length, 1);
	t.true(session.initialised);
});

test('after markDown the init step runs again', async t => {
	const {state, session} = setup();
	await session.ready();
	session.markDown();
	t.false(session.initialised);
	await session.ready();
	t.is(state.inits, 2);
});

test('a new incarnation re-runs the init step even without a disconnect', async t => {
	const {state, session, records} = setup();
	await session.ready();
	state.incarnation = 2;
	await session.ready();
	t.is(state.inits, 2);
	t.is(records.length, 2);
	await session.ready();
	t.is(state.inits, 2, 'and only once per incarnation');
});
