import test from 'ava';
import {beamReader} from '../../../daemon/beam/beam-snapshot.ts';
import {resolveConfig} from '../../../daemon/config/resolve-config.ts';
import {Daemon} from '../../../daemon/daemon.ts';
import {BeamIndex} from '../../../daemon/modules/beam-index.ts';
import type {DaemonRecord} from '../../../daemon/records.ts';
import {ReloaderError} from '../../../daemon/errors.ts';
import {syntheticBeam} from '../../support/synthetic-beam.ts';
import {FakeDisk} from '../simulation/fake-disk.ts';
import {FakeNode} from '../simulation/fake-node.ts';
import {FakeNodeTransport} from '../simulation/fake-node-transport.ts';
import {fakeWatcher} from '../simulation/fake-watcher.ts';
import {SimClock} from '../simulation/sim-clock.ts';

/** A daemon on simulated time, a fake disk and node: nothing real is touched. */
function makeDaemon(nextId?: () => number, adapt: (transport: FakeNodeTransport) => void = () => undefined) {
	const clock = new SimClock();
	const disk = new FakeDisk(clock);
	const node = new FakeNode(disk, '/ebin', () => clock.now(), () => 0.9);
	disk.write('/ebin/mod_a.beam', syntheticBeam('mod_a', 1), true);
	node.loadFromDisk(['mod_a']);
	const index = new BeamIndex();
	index.noteVersion('mod_a', '/ebin/mod_a.beam', node.beamOnDisk('mod_a')?.vsn);
	const records: DaemonRecord[] = [];
	const transport = new FakeNodeTransport(node, clock, () => 0.9, {flavor: 'content', slowRate: 0, slowMs: 0, timeoutRate: 0});
	adapt(transport);
	const daemon = new Daemon({
		config: resolveConfig({transport: 'dist', node: 'sim@localhost', watch: ['/ebin'], debounceMs: 100}),
		transport,
		directories: ['/ebin'],
		index,
		report: record => records.push(record),
		clock,
		readBeam: beamReader(disk.reader(() => 0)),
		createWatcher: fakeWatcher(disk, clock, () => 0.9, {dropRate: 0, duplicateRate: 0, maxDelayMs: 0}),
		// A fake disk holds no FIFOs, and real I/O would make a schedule nondeterministic.
		findScanHazards: async () => [],
		...(nextId === undefined ? {} : {nextId}),
	});
	/** Fire timers until none is left, letting promises settle in between. */
	const runUntilQuiet = async () => {
		do {
			await new Promise(resolve => setImmediate(resolve));
		} while (clock.fireNext());
		await new Promise(resolve => setImmediate(resolve));
	};
	return {daemon, disk, node, records, clock, runUntilQuiet};
}

test('batch ids come from the injected counter', async t => {
	let next = 41;
	const {daemon, runUntilQuiet} = makeDaemon(() => next++);
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
	const {daemon, disk, node, records, clock, runUntilQuiet} = makeDaemon();
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
	const {daemon, disk, node, records, runUntilQuiet} = makeDaemon(undefined, transport => {
		const updateInfo = transport.updateInfo.bind(transport);
		transport.updateInfo = async signal => {
			if (busyOnce) {
				busyOnce = false;
				throw new ReloaderError('ERR_NODE_BUSY', 'update_info on sim@localhost was not started: update_info is still running there', {retryable: true});
			}
			return updateInfo(signal);
		};
	});
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
