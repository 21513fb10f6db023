import test from 'ava';
import type {PipelineStatus} from '../../../daemon/pipeline-status.ts';
import type {LedgerEntry} from '../../../daemon/ledger/ledger.ts';
import {WorkSchedule} from '../../../daemon/ledger/work-schedule.ts';
import type {DaemonRecord, ProblemRecord} from '../../../daemon/records.ts';
import type {BatchRecord} from '../../../daemon/reloader/batch-record.ts';
import {FakeClock} from '../../support/fake-clock.ts';
import {isPipelineIdle, isRoundOver, soakSeeds, unansweredWrites, type RoundWrite} from '../../support/soak-round.ts';

const idle: PipelineStatus = {node: 'n@localhost', transport: 'dist', connected: true, directories: ['/ebin'], unsettledBeams: 0, pendingChanges: 0, queuedBatches: 0, runningBatches: 0};

function batch(classes: Partial<Pick<BatchRecord, 'updated' | 'unchanged' | 'notLoaded' | 'deferred' | 'failed'>>): BatchRecord {
	return {
		event: 'batch', id: 1, trigger: 'watch', node: 'n@localhost', transport: 'dist', versions: {}, ok: true, purge: 'brutal', retried: [], listed: [],
		updated: [], unchanged: [], notLoaded: [], failed: [], deferred: [], outOfReach: [], heldBack: [],
		holders: [], killed: [], verifiedBy: 'content', unpurged: [], raw: {updateInfo: ''},
		durations: {waitMs: 0, updateInfoMs: 0, updateMs: 0, verifyMs: 0, totalMs: 0},
		...classes,
	};
}

function problem(code: string, module: string): ProblemRecord {
	return {event: 'error', severity: 'warn', code, message: `${module}: ${code}`, module, path: `/ebin/${module}.beam`};
}

// SOAK_SEED=956060, round 10, as traced against a real node: the round wrote
// soak_8 v10 (unlink + writeFile) at +0 ms, the daemon's status read idle at
// +14 ms, chokidar reported soak_8.beam at +41 ms, and the batch that updated
// it came later. Deciding on the status alone read the node at +14 ms and
// called the change lost; the daemon had simply not been told yet.
test('a write the watcher has not reported yet keeps the round open, though the pipeline reads idle', t => {
	const clock = new FakeClock();
	const batches: LedgerEntry[][] = [];
	// As the daemon's loop does: a batch takes what is due (and here stays queued, not run).
	const schedule = new WorkSchedule({debounceMs: 200, maxWaitMs: 2000, clock, onDue: () => batches.push(schedule.ledger.takeDue(clock.now()))});
	schedule.start();
	const writes: RoundWrite[] = [{module: 'soak_8', kind: 'changed'}];
	const records: DaemonRecord[] = [];
	const status = (): PipelineStatus => ({...idle, pendingChanges: schedule.ledger.owedCount, queuedBatches: batches.length});

	clock.advance(14);
	t.true(isPipelineIdle(status()), 'the status the old soak waited for');
	t.false(isRoundOver(writes, records, status()), 'the write is not answered yet');

	clock.advance(27);
	schedule.oweWrite({module: 'soak_8', path: '/ebin/soak_8.beam', at: clock.now(), reason: 'watch', trigger: 'watch'});
	t.false(isRoundOver(writes, records, status()));
	clock.advance(200);
	t.is(batches.length, 1);
	t.false(isRoundOver(writes, records, status()), 'queued, not run');

	batches.length = 0;
	records.push(batch({updated: ['soak_8']}));
	t.true(isRoundOver(writes, records, status()));
});

test('a deferred module is not answered: it comes again in a later batch', t => {
	const writes: RoundWrite[] = [{module: 'soak_2', kind: 'changed'}];
	t.deepEqual(unansweredWrites(writes, [batch({deferred: ['soak_2']})]), writes);
	t.deepEqual(unansweredWrites(writes, [batch({deferred: ['soak_2']}), batch({updated: ['soak_2']})]), []);
});

test('every final class of a batch answers a complete write', t => {
	const writes: RoundWrite[] = [{module: 'a', kind: 'changed'}, {module: 'b', kind: 'identical'}, {module: 'c', kind: 'changed'}, {module: 'd', kind: 'changed'}];
	t.deepEqual(unansweredWrites(writes, [batch({updated: ['a'], unchanged: ['b'], notLoaded: ['c'], failed: [{module: 'd', reason: 'x'}]})]), []);
});

test('a broken write is answered by its report, a vanished report answers nothing', t => {
	const writes: RoundWrite[] = [{module: 'soak_4', kind: 'truncated'}, {module: 'soak_5', kind: 'garbage'}, {module: 'soak_6', kind: 'changed'}];
	const records = [problem('ERR_BEAM_INCOMPLETE', 'soak_4'), problem('ERR_BEAM_INVALID', 'soak_5'), problem('ERR_BEAM_UNREADABLE', 'soak_6')];
	t.deepEqual(unansweredWrites(writes, records), [{module: 'soak_6', kind: 'changed'}]);
});

test('a complete write is not answered by a report about a broken one', t => {
	t.deepEqual(unansweredWrites([{module: 'soak_1', kind: 'changed'}], [problem('ERR_BEAM_INCOMPLETE', 'soak_1')]), [{module: 'soak_1', kind: 'changed'}]);
});

test('work anywhere in the pipeline keeps the round open', t => {
	for (const busy of [{unsettledBeams: 1}, {pendingChanges: 1}, {queuedBatches: 1}, {runningBatches: 1}, {connected: false}]) {
		t.false(isRoundOver([], [], {...idle, ...busy}), JSON.stringify(busy));
	}
	t.true(isRoundOver([], [], idle));
});

test('soak seeds: the fixed ones plus a random one, or exactly the ones given', t => {
	t.deepEqual(soakSeeds(undefined, [956_060, 31_750], 42), [956_060, 31_750, 42]);
	t.deepEqual(soakSeeds('', [956_060, 31_750], 31_750), [956_060, 31_750]);
	t.deepEqual(soakSeeds('7, 8', [956_060], 42), [7, 8]);
	for (const bad of ['x', '1,,2', '-1', '1.5']) {
		t.throws(() => soakSeeds(bad, [], 0), {instanceOf: TypeError, message: /SOAK_SEED/}, bad);
	}
});
