import test from 'ava';
import {ALL_MODULES, Ledger, type OwedWork} from '../../../daemon/ledger/ledger.ts';

const watch = (module: string, at: number, extra: Partial<OwedWork> = {}): OwedWork => ({module, path: `/ebin/${module}.beam`, at, reason: 'watch', trigger: 'watch', ...extra});

test('a module owed twice is owed once, with the newer snapshot and the first since', t => {
	const ledger = new Ledger();
	ledger.owe(watch('mod_a', 10), 'window', 10);
	ledger.owe(watch('mod_a', 20), 'window', 20);
	t.is(ledger.owedCount, 1);
	t.like(ledger.owed()[0], {module: 'mod_a', at: 20, since: 10, due: 'window'});
});

test('an older snapshot never replaces a newer one', t => {
	const ledger = new Ledger();
	ledger.owe(watch('mod_a', 20), 'window', 20);
	t.false(ledger.owe(watch('mod_a', 10, {reason: 'reconnect'}), 0, 30));
	t.like(ledger.owed()[0], {at: 20, reason: 'watch', due: 'window'});
});

test('work in the quiet window is due only once the window is released', t => {
	const ledger = new Ledger();
	ledger.owe(watch('mod_a', 10), 'window', 10);
	t.is(ledger.nextDue(), undefined);
	t.deepEqual(ledger.takeDue(1000), []);
	ledger.releaseWindow(400);
	t.is(ledger.nextDue(), 400);
	t.deepEqual(ledger.takeDue(400).map(({module}) => module), ['mod_a']);
	t.is(ledger.owedCount, 0);
});

test('a key in flight owed again stays owed, is not taken beside its batch, and is due after it', t => {
	const ledger = new Ledger();
	ledger.owe(watch('mod_a', 10), 0, 10);
	const [taken] = ledger.takeDue(10);
	t.is(taken?.at, 10);
	ledger.owe(watch('mod_a', 20), 20, 20);
	t.is(ledger.nextDue(), undefined, 'not due while its key is in flight');
	t.deepEqual(ledger.takeDue(100), []);
	t.true(ledger.holds('mod_a'));
	ledger.finish();
	t.false(ledger.holds('mod_a'));
	t.is(ledger.nextDue(), 20);
	t.like(ledger.takeDue(100)[0], {at: 20, since: 10});
});

test('one batch takes the due work of the entry owed longest: same trigger, same members', t => {
	const ledger = new Ledger();
	ledger.owe({...watch('mod_a', 5), reason: 'catchUp', trigger: 'init'}, 5, 5);
	ledger.owe(watch('mod_b', 10), 10, 10);
	ledger.owe(watch('mod_c', 11), 11, 11);
	ledger.owe({module: ALL_MODULES, at: 12, reason: 'join', trigger: 'join', nodes: ['b@host']}, 12, 12);
	ledger.owe(watch('mod_d', 13), 500, 13);
	t.deepEqual(ledger.takeDue(100).map(({module}) => module), ['mod_a']);
	ledger.finish();
	t.deepEqual(ledger.takeDue(100).map(({module}) => module), ['mod_b', 'mod_c']);
	ledger.finish();
	t.deepEqual(ledger.takeDue(100).map(({module, nodes}) => [module, nodes]), [[ALL_MODULES, ['b@host']]]);
	ledger.finish();
	t.deepEqual(ledger.takeDue(100), [], 'mod_d falls due at 500');
	t.is(ledger.nextDue(), 500);
});

test('the same module on every node and on one member are two pieces of work', t => {
	const ledger = new Ledger();
	ledger.owe(watch('mod_a', 10), 0, 10);
	ledger.owe(watch('mod_a', 10, {nodes: ['b@host'], reason: 'lag', trigger: 'caughtUp'}), 0, 10);
	t.is(ledger.owedCount, 2);
});

test('a request takes what is owed of its modules whenever due, a beam waiting to be read again too; other members\' work stays', t => {
	const ledger = new Ledger();
	ledger.owe(watch('mod_a', 10), 'window', 10);
	ledger.owe(watch('mod_b', 10, {reason: 'retry'}), 'read', 10);
	ledger.owe(watch('mod_c', 10, {reason: 'softPurge'}), 900, 10);
	ledger.owe(watch('mod_a', 10, {nodes: ['b@host'], reason: 'lag', trigger: 'caughtUp'}), 10, 10);
	const taken = ledger.takeModules(new Set(['mod_a', 'mod_b', 'mod_c']), undefined);
	t.deepEqual(taken.map(({module}) => module).sort(), ['mod_a', 'mod_b', 'mod_c']);
	t.deepEqual(ledger.owed().map(({module, nodes}) => [module, nodes]), [['mod_a', ['b@host']]]);
	t.true(ledger.holds('mod_b'));
});

test('what waits for a read is dropped when the file cannot be read as a beam, and only that', t => {
	const ledger = new Ledger();
	ledger.owe(watch('mod_a', 10, {reason: 'retry'}), 'read', 10);
	ledger.owe(watch('mod_b', 10), 'window', 10);
	ledger.dropRead('/ebin/mod_a.beam');
	ledger.dropRead('/ebin/mod_b.beam');
	t.deepEqual(ledger.owed().map(({module}) => module), ['mod_b']);
});

test('a retry of the very same snapshot keeps the sooner due time; a newer snapshot brings its own', t => {
	const ledger = new Ledger();
	ledger.owe(watch('mod_a', 10, {reason: 'softPurge'}), 100, 10);
	ledger.owe(watch('mod_a', 10, {reason: 'reconnect'}), 300, 20);
	t.is(ledger.nextDue(), 100);
	ledger.owe(watch('mod_a', 30), 'window', 30);
	t.is(ledger.nextDue(), undefined);
});

test('a batch holding every module holds each of them, on its members only', t => {
	const ledger = new Ledger();
	ledger.hold([{module: ALL_MODULES, at: 1, reason: 'join', trigger: 'join', nodes: ['b@host'], since: 1, due: 1}]);
	t.true(ledger.holds('mod_x', 'b@host'));
	t.false(ledger.holds('mod_x', 'c@host'));
	t.deepEqual(ledger.inFlight().map(({module}) => module), [ALL_MODULES]);
});
