import {mkdtemp, rm, symlink, truncate, writeFile} from 'node:fs/promises';
import {execFile} from 'node:child_process';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {promisify} from 'node:util';
import test from 'ava';
import type {BeamRead} from '../../../daemon/beam/beam-snapshot.ts';
import {ReloaderError} from '../../../daemon/errors.ts';
import {DirectoryRaces, beamFileErrors, isDirectoryRace} from '../../../daemon/reloader/directory-race.ts';
import {findScanHazards, settleDirectory} from '../../../daemon/reloader/settle-directory.ts';
import {FakeClock} from '../../support/fake-clock.ts';

const reads = (states: Record<string, BeamRead['state']>) => async (path: string): Promise<BeamRead> => {
	const state = states[path] ?? 'missing';
	return state === 'invalid' ? {state, reason: 'junk', fingerprint: ''} : state === 'incomplete' ? {state, expectedSize: 10, actualSize: 5, fingerprint: ''} : {state: 'missing'};
};

test('beam_lib file errors are found with the path as a string or as an atom', t => {
	t.deepEqual(beamFileErrors(`{{badmatch,{error,beam_lib,{missing_chunk,'/x/ebin/b.beam',"Attr"}}},[]} {case_clause,{error,beam_lib,{not_a_beam_file,"/x/ebin/c.beam"}}}`), [
		{reason: 'missing_chunk', path: '/x/ebin/b.beam'},
		{reason: 'not_a_beam_file', path: '/x/ebin/c.beam'},
	]);
	t.deepEqual(beamFileErrors('{undef,[{mod_x,start,[]}]}'), []);
});

test('an update that failed on a beam in flux is handed back, a few times at most; one that failed on junk stands', async t => {
	const races = new DirectoryRaces();
	const read = reads({'/x/ebin/b.beam': 'incomplete', '/x/ebin/junk.beam': 'invalid'});
	const errors = new Map([
		['mod_a', `returned an 'EXIT': {badmatch,{error,beam_lib,{not_a_beam_file,"/x/ebin/b.beam"}}}`],
		['mod_j', `returned an 'EXIT': {badmatch,{error,beam_lib,{not_a_beam_file,"/x/ebin/junk.beam"}}}`],
		['mod_u', 'returned an \'EXIT\': {undef,[]}'],
	]);
	const handedBack = [];
	for (let round = 0; round < 7; round++) {
		handedBack.push([...await races.raced(errors, read)]);
	}
	t.deepEqual(handedBack.slice(0, 5), Array.from({length: 5}, () => ['mod_a']));
	t.deepEqual(handedBack[5], [], 'the sixth time in a row it fails with ejabberd\'s reason');
	races.settle(['mod_a']);
	t.deepEqual(handedBack.length, 7);
});

test('an update_info that failed on a beam in flux is a race; a retryable error or junk is not', async t => {
	const read = reads({'/x/ebin/b.beam': 'incomplete', '/x/ebin/junk.beam': 'invalid'});
	t.true(await isDirectoryRace(new Error('failed: {error,beam_lib,{not_a_beam_file,"/x/ebin/b.beam"}}'), read));
	t.true(await isDirectoryRace(new Error('failed: {error,beam_lib,{file_error,"/x/ebin/gone.beam",enoent}}'), read));
	t.false(await isDirectoryRace(new Error('failed: {error,beam_lib,{not_a_beam_file,"/x/ebin/junk.beam"}}'), read));
	t.false(await isDirectoryRace(new ReloaderError('ERR_NODE_DOWN', '{error,beam_lib,{not_a_beam_file,"/x/ebin/b.beam"}}', {retryable: true}), read));
});

test('settleDirectory waits for the settler, and gives up at its deadline with what is still unsettled', async t => {
	const clock = new FakeClock();
	let unsettled = ['/x/ebin/b.beam'];
	const waiters: Array<() => void> = [];
	const source = {
		unsettledIn: () => unsettled,
		whenSettled: async () => new Promise<void>(resolve => waiters.push(resolve)),
	};
	const first = settleDirectory('/x/ebin', source, {deadlineMs: 1000, clock});
	await new Promise(resolve => setImmediate(resolve));
	unsettled = [];
	for (const wake of waiters) {
		wake();
	}
	t.deepEqual(await first, {settled: true, waitedMs: 0, unsettled: []});
	unsettled = ['/x/ebin/c.beam'];
	const second = settleDirectory('/x/ebin', source, {deadlineMs: 1000, clock});
	await new Promise(resolve => setImmediate(resolve));
	clock.advance(1000);
	t.deepEqual(await second, {settled: false, waitedMs: 1000, unsettled: ['/x/ebin/c.beam']});
});

test('findScanHazards names FIFOs, devices and oversized files; directories, junk and dangling links are harmless to the scan', async t => {
	const directory = await mkdtemp(join(tmpdir(), 'reloader-hazards-'));
	t.teardown(async () => rm(directory, {recursive: true, force: true}));
	await promisify(execFile)('mkfifo', [join(directory, 'pipe.beam')]);
	await symlink('/dev/zero', join(directory, 'zero.beam'));
	await writeFile(join(directory, 'big.beam'), '');
	await truncate(join(directory, 'big.beam'), 10_000);
	await writeFile(join(directory, 'junk.beam'), 'junk');
	await symlink('/nonexistent', join(directory, 'gone.beam'));
	const hazards = await findScanHazards(directory, 4096);
	t.deepEqual(hazards.map(({path, what}) => [path.slice(directory.length + 1), what]), [
		['big.beam', 'a file of 10000 bytes (9.8 KiB): the node would read all of it'],
		['pipe.beam', 'a FIFO: the node\'s read would block forever'],
		['zero.beam', 'a symbolic link to a character device: the node would read it without end'],
	]);
});
