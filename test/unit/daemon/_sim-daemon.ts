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

export interface SimDaemonOptions {
	/** The daemon's batch ids. */
	readonly nextId?: () => number;
	/** Adjust the transport before the daemon is built (make it slow, busy...). */
	readonly adapt?: (transport: FakeNodeTransport) => void;
}

/**
 * The real Daemon on simulated time, over a fake disk, watcher and node
 * that runs mod_a v1 from /ebin: nothing real is touched.
 */
export function simDaemon(options: SimDaemonOptions = {}) {
	const clock = new SimClock();
	const disk = new FakeDisk(clock);
	const node = new FakeNode(disk, '/ebin', () => clock.now(), () => 0.9);
	disk.write('/ebin/mod_a.beam', syntheticBeam('mod_a', 1), true);
	node.loadFromDisk(['mod_a']);
	const index = new BeamIndex();
	index.noteVersion('mod_a', '/ebin/mod_a.beam', node.beamOnDisk('mod_a')?.vsn);
	const records: DaemonRecord[] = [];
	const transport = new FakeNodeTransport(node, clock, () => 0.9, {flavor: 'content', slowRate: 0, slowMs: 0, timeoutRate: 0});
	options.adapt?.(transport);
	const daemon = new Daemon({
		config: resolveConfig({transport: 'dist', node: 'sim@localhost', watch: ['/ebin'], debounceMs: 100}),
		transport,
		directories: ['/ebin'],
		index,
		report: record => records.push(record),
		clock,
		readBeam: beamReader(disk.reader(() => 0)),
		createWatcher: fakeWatcher(disk, clock, () => 0.9, {dropRate: 0, duplicateRate: 0, maxDelayMs: 0}),
		// A fake disk holds no FIFOs, and real I/O would make a run nondeterministic.
		findScanHazards: async () => [],
		...(options.nextId === undefined ? {} : {nextId: options.nextId}),
	});
	/** Fire timers due up to `untilMs` (all of them by default), letting promises settle in between. */
	const run = async (untilMs = Number.POSITIVE_INFINITY) => {
		do {
			await new Promise(resolve => setImmediate(resolve));
		} while ((clock.nextAt() ?? Number.POSITIVE_INFINITY) <= untilMs && clock.fireNext());
		await new Promise(resolve => setImmediate(resolve));
	};
	return {daemon, disk, node, records, clock, run, runUntilQuiet: async () => run()};
}
