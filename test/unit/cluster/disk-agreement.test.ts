import test from 'ava';
import {awaitDiskAgreement, diskMismatches, type AgreementMember, type DiskMismatch} from '../../../daemon/cluster/disk-agreement.ts';
import {ReloaderError} from '../../../daemon/errors.ts';
import type {ModuleLocation, ModuleState} from '../../../daemon/transports/transport.ts';
import {NEW, OLD} from './_records.ts';

const expected = new Map([
	['mod_x', {location: {module: 'mod_x', path: '/ebin/mod_x.beam'}, md5: NEW}],
	['mod_y', {location: {module: 'mod_y', path: '/ebin/mod_y.beam'}, md5: NEW}],
]);

/** What a member answers at each ask: its disk's MD5 of every module (null: no readable beam), or an error; the last answer repeats. */
type Answer = string | null | Error;

interface FakeMember extends AgreementMember {
	readonly asked: (readonly ModuleLocation[])[];
}

function member(node: string, ...answers: Answer[]): FakeMember {
	const asked: (readonly ModuleLocation[])[] = [];
	return {
		node,
		asked,
		async states(locations) {
			asked.push(locations);
			const answer = answers.length === 0 ? NEW : answers[Math.min(asked.length, answers.length) - 1] as Answer;
			if (answer instanceof Error) {
				throw answer;
			}
			return new Map(locations.map(({module}): [string, ModuleState] => [module, {loaded: true, loadedMd5: OLD, ...(answer === null ? {} : {diskMd5: answer})}]));
		},
	};
}

const down = () => new ReloaderError('ERR_NODE_DOWN', 'connect ECONNREFUSED', {retryable: true});
const mismatch = (disk: string | null): DiskMismatch[] => [{module: 'mod_x', disk, expected: NEW}, {module: 'mod_y', disk, expected: NEW}];

/** Small and fast: outcomes are asserted, never how long they took. */
const fast = {timeoutMs: 10_000, pollMs: 2};

test('members whose disks hold the daemon\'s beams are ready at once, with what each said; nobody waited for', async t => {
	const a = member('a@h1', NEW);
	const b = member('b@h2', NEW);
	const waiting: string[] = [];
	const agreement = await awaitDiskAgreement({members: [a, b], expected, ...fast, onWaiting: ({node}) => waiting.push(node)});
	t.deepEqual([...agreement.ready.keys()], [a, b]);
	t.deepEqual(agreement.ready.get(b)?.get('mod_x'), {loaded: true, loadedMd5: OLD, diskMd5: NEW});
	t.is(agreement.lagging.size, 0);
	t.is(agreement.unreachable.size, 0);
	t.deepEqual(waiting, []);
	t.deepEqual(a.asked, [[{module: 'mod_x', path: '/ebin/mod_x.beam'}, {module: 'mod_y', path: '/ebin/mod_y.beam'}]]);
	t.is(b.asked.length, 1);
});

test('a member that lags, then catches up, is ready; told once while its disk stays the same, and the others asked once', async t => {
	const a = member('a@h1', NEW);
	const b = member('b@h2', OLD, OLD, OLD, NEW);
	const told: [string, DiskMismatch[]][] = [];
	const agreement = await awaitDiskAgreement({members: [a, b], expected, ...fast, onWaiting: ({node}, mismatches) => told.push([node, [...mismatches]])});
	t.deepEqual([...agreement.ready.keys()].map(({node}) => node).sort(), ['a@h1', 'b@h2']);
	t.is(agreement.lagging.size, 0);
	t.deepEqual(told, [['b@h2', mismatch(OLD)]]);
	t.is(a.asked.length, 1);
	t.is(b.asked.length, 4);
});

test('told again each time the lagging disk changes (a beam appears, then is the wrong one)', async t => {
	const b = member('b@h2', null, null, OLD, OLD, NEW);
	const told: DiskMismatch[][] = [];
	const agreement = await awaitDiskAgreement({members: [b], expected, ...fast, onWaiting: (_member, mismatches) => told.push([...mismatches])});
	t.true(agreement.ready.has(b));
	t.deepEqual(told, [mismatch(null), mismatch(OLD)]);
});

test('only the modules that differ are mismatches', async t => {
	const b: AgreementMember = {
		node: 'b@h2',
		async states() {
			return new Map<string, ModuleState>([['mod_x', {loaded: false, diskMd5: NEW}], ['mod_y', {loaded: true, loadedMd5: OLD, diskMd5: OLD}]]);
		},
	};
	const agreement = await awaitDiskAgreement({members: [b], expected, timeoutMs: 20, pollMs: 5});
	t.deepEqual(agreement.lagging.get(b), [{module: 'mod_y', disk: OLD, expected: NEW}]);
});

test('a disk that never catches up is lagging after the timeout, with its mismatches; the others are ready', async t => {
	const a = member('a@h1', NEW);
	const c = member('c@h3', OLD);
	const agreement = await awaitDiskAgreement({members: [a, c], expected, timeoutMs: 30, pollMs: 5});
	t.deepEqual([...agreement.ready.keys()], [a]);
	t.deepEqual([...agreement.lagging], [[c, mismatch(OLD)]]);
	t.is(agreement.unreachable.size, 0);
	t.true(agreement.waitedMs >= 0);
});

test('a member that throws a retryable error is unreachable, with the error; the others go on', async t => {
	const a = member('a@h1', NEW);
	const error = down();
	const d = member('d@h4', error);
	const agreement = await awaitDiskAgreement({members: [a, d], expected, ...fast});
	t.deepEqual([...agreement.ready.keys()], [a]);
	t.is(agreement.unreachable.get(d), error);
	t.is(agreement.lagging.size, 0);
	t.is(d.asked.length, 1, 'not asked again');
});

test('a member that lagged and then became unreachable is unreachable only', async t => {
	const d = member('d@h4', OLD, OLD, down());
	const agreement = await awaitDiskAgreement({members: [d], expected, ...fast});
	t.true(agreement.unreachable.has(d));
	t.false(agreement.lagging.has(d), 'not lagging too: it was not waited for to the end');
	t.false(agreement.ready.has(d));
});

test('an error that is not retryable is no unreachable member: it ends the agreement', async t => {
	const broken = member('b@h2', new ReloaderError('ERR_NODE_COMMAND', 'badarg'));
	await t.throwsAsync(awaitDiskAgreement({members: [member('a@h1', NEW), broken], expected, ...fast}), {message: 'badarg'});
});

test('aborting stops the wait', async t => {
	const controller = new AbortController();
	const c = member('c@h3', OLD);
	const agreement = awaitDiskAgreement({members: [c], expected, timeoutMs: 60_000, pollMs: 5, signal: controller.signal, onWaiting: () => controller.abort()});
	await t.throwsAsync(agreement, {name: 'AbortError'});
});

test('no member: nothing to wait for', async t => {
	const agreement = await awaitDiskAgreement({members: [], expected, ...fast});
	t.is(agreement.ready.size + agreement.lagging.size + agreement.unreachable.size, 0);
});

test('diskMismatches: a module missing from the answer, or without a readable beam, differs as null', t => {
	t.deepEqual(diskMismatches(expected, new Map([['mod_x', {loaded: true, diskMd5: NEW}], ['mod_y', {loaded: true, diskMd5: NEW}]])), []);
	t.deepEqual(diskMismatches(expected, new Map([['mod_x', {loaded: false}]])), mismatch(null));
	t.deepEqual(diskMismatches(expected, new Map([['mod_x', {loaded: true, diskMd5: OLD}], ['mod_y', {loaded: true, diskMd5: NEW}]])), [{module: 'mod_x', disk: OLD, expected: NEW}]);
});
