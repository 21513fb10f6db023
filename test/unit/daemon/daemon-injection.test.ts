import test from 'ava';
import {ReloaderError} from '../../../daemon/errors.ts';
import {syntheticBeam} from '../../support/synthetic-beam.ts';
import {simDaemon} from './_sim-daemon.ts';

test('batch ids come from the injected counter', async t => {
	let next = 41;
	const {daemon, runUntilQuiet} = simDaemon({nextId: () => next++});
	const started = daemon.start();
	await runUntilQuiet();
	await started;
	const first = daemon.reconcile('api');
	await runUntilQuiet();
	const second = daemon.reconcile('api');
	await runUntilQuiet();
	t.deepEqual([(await first).id, (await second).id], [41, 42]);
	const closed = daemon.close();
	await runUntilQuiet();
	await closed;
});

test('a write seen by the injected watcher is read through the injected reader and updated on simulated time', async t => {
	const {daemon, disk, node, records, clock, runUntilQuiet} = simDaemon();
	const started = daemon.start();
	await runUntilQuiet();
	await started;
	const opensBefore = disk.opens;
	disk.write('/ebin/mod_a.beam', syntheticBeam('mod_a', 2), true);
	await runUntilQuiet();
	const batch = records.find(record => record.event === 'batch');
	t.like(batch, {event: 'batch', updated: ['mod_a']});
	t.is(node.loaded.get('mod_a')?.codeMd5, node.beamOnDisk('mod_a')?.codeMd5);
	t.is(disk.opens - opensBefore, 1, 'the settled beam was read once, and not again by the reloader');
	t.true(clock.now() >= 100, 'the batcher waited its debounce on the injected clock');
	const closed = daemon.close();
	await runUntilQuiet();
	await closed;
});

test('a node still busy with an earlier scan is not down: the batch is handed back with a warning and applied by the next one', async t => {
	let busyOnce = false;
	const {daemon, disk, node, records, runUntilQuiet} = simDaemon({adapt: transport => {
		const updateInfo = transport.updateInfo.bind(transport);
		transport.updateInfo = async signal => {
			if (busyOnce) {
				busyOnce = false;
				throw new ReloaderError('ERR_NODE_BUSY', 'update_info on sim@localhost was not started: update_info is still running there', {retryable: true});
			}
			return updateInfo(signal);
		};
	}});
	const started = daemon.start();
	await runUntilQuiet();
	await started;
	busyOnce = true;
	disk.write('/ebin/mod_a.beam', syntheticBeam('mod_a', 2), true);
	await runUntilQuiet();
	t.false(busyOnce, 'the busy answer was given');
	t.true(records.some(record => record.event === 'error' && record.code === 'ERR_NODE_BUSY' && record.severity === 'warn'), 'a warning says the batch was handed back');
	t.false(records.some(record => record.event === 'node' && record.state === 'down'), 'busy is not reported as down');
	t.like(records.findLast(record => record.event === 'batch'), {updated: ['mod_a']});
	t.is(node.loaded.get('mod_a')?.codeMd5, node.beamOnDisk('mod_a')?.codeMd5);
	const closed = daemon.close();
	await runUntilQuiet();
	await closed;
});
