import test from 'ava';
import {beamReader} from '../../../daemon/beam/beam-snapshot.ts';
import {resolveConfig} from '../../../daemon/config/resolve-config.ts';
import {Daemon} from '../../../daemon/daemon.ts';
import {BeamIndex} from '../../../daemon/modules/beam-index.ts';
import type {DaemonRecord} from '../../../daemon/records.ts';
import {syntheticBeam} from '../../support/synthetic-beam.ts';
import {FakeDisk} from '../simulation/fake-disk.ts';
import {FakeNode} from '../simulation/fake-node.ts';
import {FakeNodeTransport} from '../simulation/fake-node-transport.ts';
import {fakeWatcher} from '../simulation/fake-watcher.ts';
import {SimClock} from '../simulation/sim-clock.ts';

/** The real Daemon over a fake disk, watcher and node, on simulated time. */
function setUp() {
	const clock = new SimClock();
	const disk = new FakeDisk(clock);
	const node = new FakeNode(disk, '/ebin', () => clock.now(), () => 0.9);
	disk.write('/ebin/mod_a.beam', syntheticBeam('mod_a', 1), true);
	node.loadFromDisk(['mod_a']);
	const index = new BeamIndex();
	index.noteVersion('mod_a', '/ebin/mod_a.beam', node.beamOnDisk('mod_a')?.vsn);
	const records: DaemonRecord[] = [];
	const daemon = new Daemon({
		config: resolveConfig({transport: 'dist', node: 'sim@localhost', watch: ['/ebin'], debounceMs: 100}),
		transport: new FakeNodeTransport(node, clock, () => 0.9, {flavor: 'content', slowRate: 0, slowMs: 0, timeoutRate: 0}),
		directories: ['/ebin'],
		index,
		report: record => records.push(record),
		clock,
		readBeam: beamReader(disk.reader(() => 0)),
		createWatcher: fakeWatcher(disk, clock, () => 0.9, {dropRate: 0, duplicateRate: 0, maxDelayMs: 0}),
		findScanHazards: async () => [],
	});
	/** Fire timers up to `untilMs` (or until none is left), letting promises settle in between. */
	const run = async (untilMs = Number.POSITIVE_INFINITY) => {
		do {
			await new Promise(resolve => setImmediate(resolve));
		} while (clock.nextAt() !== undefined && (clock.nextAt() ?? 0) <= untilMs && clock.fireNext());
		await new Promise(resolve => setImmediate(resolve));
	};
	const close = async () => {
		const closed = daemon.close();
		await run();
		await closed;
	};
	return {daemon, disk, node, records, clock, run, close};
}

const batches = (records: readonly DaemonRecord[]) => records.filter(record => record.event === 'batch');

test('a write made while the node is away is owed in /status, and loaded once the node is back', async t => {
	const {daemon, disk, node, records, clock, run, close} = setUp();
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
	await close();
});

test('a daemon that was never started answers what differs and loads nothing', async t => {
	const {daemon, disk, node, records, run, close} = setUp();
	disk.write('/ebin/mod_a.beam', syntheticBeam('mod_a', 2), true);
	const before = node.loaded.get('mod_a')?.codeMd5;
	const info = daemon.updateInfo();
	await run();
	t.deepEqual((await info).modules, ['mod_a']);
	await run();
	t.is(node.loaded.get('mod_a')?.codeMd5, before);
	t.deepEqual(batches(records), []);
	await close();
});
