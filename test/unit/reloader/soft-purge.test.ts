import test from 'ava';
import type {BeamSnapshot} from '../../../daemon/beam/beam-snapshot.ts';
import {BeamIndex} from '../../../daemon/modules/beam-index.ts';
import type {KilledRecord} from '../../../daemon/reloader/batch-record.ts';
import {Reloader, type ReloadRequest} from '../../../daemon/reloader/reloader.ts';
import type {HeldProcess, ModuleState} from '../../../daemon/transports/transport.ts';
import {fakeTransport} from '../../support/fake-transport.ts';

const OLD = 'a'.repeat(32);
const NEW = 'b'.repeat(32);
const LOOP: HeldProcess = {pid: '<0.90.0>', name: 'loop_m', currentFunction: 'm:loop/0'};
const snapshot: BeamSnapshot = {path: '/ebin/m.beam', size: 100, mtimeMs: 1, digest: 'd', module: 'm', vsn: 'v2', codeMd5: NEW};

/** A dist-like node where `m` is loaded with old code and one process runs its old code until an update kills it. */
function setup(options: {purgeSoftTimeoutMs?: number} = {}) {
	let now = 0;
	let loaded = OLD;
	let holders: HeldProcess[] = [LOOP];
	const killed: KilledRecord[] = [];
	const transport = fakeTransport({
		kind: 'dist',
		updateInfo: async () => ({modules: loaded === OLD ? ['m'] : [], dir: '/ebin', raw: '{ok,...}'}),
		moduleStates: async modules => new Map(modules.map(({module}) => [module, {loaded: true, loadedMd5: loaded, diskMd5: NEW} satisfies ModuleState])),
		oldCodeHolders: async modules => new Map(modules.filter(() => holders.length > 0).map(module => [module, holders])),
		update: async () => {
			loaded = NEW;
			holders = [];
			return {raw: '{ok,[]}', result: {kind: 'ok', unpurged: []}};
		},
	});
	const reloader = new Reloader(transport, new BeamIndex(), {purge: 'soft', loadNew: false, now: () => now, onKilled: record => killed.push(record), ...options});
	let id = 0;
	const reload = async (at: number, extra: Partial<ReloadRequest> = {}) => {
		now = at;
		return reloader.reload({id: ++id, trigger: 'watch', changes: [{module: 'm', path: snapshot.path, at, snapshot}], ...extra});
	};
	return {reload, killed, loaded: () => loaded};
}

test('soft: held back, retried (labelled), then failed with its holders once purgeSoftTimeoutMs passed', async t => {
	const {reload, loaded} = setup({purgeSoftTimeoutMs: 1000});
	const first = await reload(0);
	t.deepEqual(first.heldBack, ['m']);
	t.deepEqual(first.retried, []);
	t.deepEqual(first.holders, [{module: 'm', processes: [LOOP]}]);
	t.true(first.ok);
	t.regex(first.hint ?? '', /"purge": "brutal"/);

	const second = await reload(500);
	t.deepEqual(second.heldBack, ['m']);
	t.deepEqual(second.retried, ['m']);

	const third = await reload(1000);
	t.deepEqual(third.heldBack, []);
	t.deepEqual(third.retried, ['m']);
	t.false(third.ok);
	t.is(third.failed[0]?.module, 'm');
	t.deepEqual(third.failed[0]?.holders, [LOOP]);
	t.regex(third.failed[0]?.reason ?? '', /held back for 1 s .*loop_m <0\.90\.0>/);
	t.is(loaded(), OLD, 'nothing was loaded');

	// Failed, it is no longer held: a new change starts a new wait.
	t.deepEqual((await reload(5000)).retried, []);
});

test('without purgeSoftTimeoutMs soft purge holds back for ever', async t => {
	const {reload} = setup();
	t.deepEqual((await reload(0)).heldBack, ['m']);
	t.deepEqual((await reload(86_400_000)).heldBack, ['m']);
});

test('a request that forces brutal updates a held module, reports the killed process and a killed record', async t => {
	const {reload, killed, loaded} = setup({purgeSoftTimeoutMs: 1000});
	await reload(0);
	const forced = await reload(10, {trigger: 'api', purge: 'brutal'});
	t.deepEqual(forced.updated, ['m']);
	t.is(forced.purge, 'brutal');
	t.deepEqual(forced.retried, ['m']);
	t.deepEqual(forced.killed, [{module: 'm', processes: [LOOP]}]);
	t.deepEqual(forced.unpurged, [], 'asked again after the load: nobody runs old code now');
	t.is(loaded(), NEW);
	t.deepEqual(killed.map(({module, batch, processes}) => ({module, batch, processes})), [{module: 'm', batch: forced.id, processes: [LOOP]}]);
});
