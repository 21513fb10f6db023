import test from 'ava';
import type {DaemonRecord} from '../../../daemon/records.ts';
import {syntheticBeam} from '../../support/synthetic-beam.ts';
import {simDaemon} from './_sim-daemon.ts';

const batches = (records: readonly DaemonRecord[]) => records.filter(record => record.event === 'batch');

test('a write made while the node is away is owed in /status, and loaded once the node is back', async t => {
	const {daemon, disk, node, records, clock, run} = simDaemon();
	const started = daemon.start();
	await run();
	await started;
	node.goDown();
	disk.write('/ebin/mod_a.beam', syntheticBeam('mod_a', 2), true);
	// The batch finds the node away and hands its work back; the backoff then waits for the node.
	await run(clock.now() + 500);
	const status = daemon.status();
	t.false(status.connected);
	// Owed as the watcher saw it (the paused queue started no batch), or handed back by a batch that found the node away.
	t.deepEqual((status.owed ?? []).map(({module}) => module), ['mod_a']);
	t.true(['watch', 'reconnect'].includes(status.owed?.[0]?.reason ?? ''));
	t.not(node.loaded.get('mod_a')?.codeMd5, node.beamOnDisk('mod_a')?.codeMd5);
	node.comeUp(false);
	await run(clock.now() + 60_000);
	t.deepEqual(daemon.status().owed, []);
	t.is(node.loaded.get('mod_a')?.codeMd5, node.beamOnDisk('mod_a')?.codeMd5);
	t.deepEqual(batches(records).flatMap(record => record.updated), ['mod_a']);
	const closed = daemon.close();
	await run();
	await closed;
});

test('a daemon that was never started answers what differs and loads nothing', async t => {
	const {daemon, disk, node, records, run} = simDaemon();
	disk.write('/ebin/mod_a.beam', syntheticBeam('mod_a', 2), true);
	const before = node.loaded.get('mod_a')?.codeMd5;
	const info = daemon.updateInfo();
	await run();
	t.deepEqual((await info).modules, ['mod_a']);
	await run();
	t.is(node.loaded.get('mod_a')?.codeMd5, before);
	t.deepEqual(batches(records), []);
	const closed = daemon.close();
	await run();
	await closed;
});
