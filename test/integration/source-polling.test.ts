import {execFile} from 'node:child_process';
import {mkdir, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {promisify} from 'node:util';
import test from 'ava';
import {systemClock} from '../../daemon/batcher/clock.ts';
import type {ReloaderError} from '../../daemon/errors.ts';
import type {CompileRecord} from '../../daemon/sources/compile-record.ts';
import {SourceCompiler, type CompileOutcome, type CompileRequest} from '../../daemon/sources/source-compiler.ts';
import {syntheticBeam} from '../support/synthetic-beam.ts';
import {waitUntil} from '../support/wait.ts';

const run = promisify(execFile);

/**
 * A source directory on a file system that sends no inotify event for a
 * change made elsewhere: a bindfs (FUSE) mount, whose writes through the
 * other side (the "other machine") the kernel never reports on the mount,
 * like a bind mount from another host or a VM's shared folder. With
 * `compile.watch: auto` the stage sees FUSE, says it polls, and a save made
 * on the other side is compiled. Needs root and bindfs (.ci/setup installs it).
 */
test('a source directory on FUSE is polled, said in the log, and a save made on the other side is compiled', async t => {
	const root = await mkdtemp(join(tmpdir(), 'source-polling-'));
	const elsewhere = join(root, 'elsewhere');
	const mounted = join(root, 'mounted');
	const ebin = join(root, 'ebin');
	await Promise.all([mkdir(elsewhere), mkdir(mounted), mkdir(ebin)]);
	await writeFile(join(elsewhere, 'mod_far.erl'), 'v1');
	await run('bindfs', [elsewhere, mounted]);
	t.teardown(async () => {
		await run('fusermount', ['-u', mounted]).catch(async () => run('umount', [mounted]));
		await rm(root, {recursive: true, force: true});
	});

	const records: CompileRecord[] = [];
	const problems: ReloaderError[] = [];
	let version = 0;
	const stage = new SourceCompiler({
		directories: [{dir: mounted, ebin, include: []}],
		compiler: {
			name: 'fake',
			async compile(request: CompileRequest): Promise<CompileOutcome> {
				return {ok: true, beam: syntheticBeam(request.module, ++version), diagnostics: []};
			},
			async close() {
				// Nothing to remove.
			},
		},
		debounceMs: 100,
		maxWaitMs: 1000,
		watchMode: 'auto',
		pollMs: 200,
		clock: systemClock,
		nextRound: () => records.length + 1,
		onRecord: record => records.push(record),
		onProblem: error => problems.push(error),
		onBeamWritten: () => undefined,
	});
	t.teardown(() => stage.close());
	await stage.start();
	t.true(problems.some(({message}) => message.includes(`polling ${JSON.stringify(mounted)}`) && message.includes('fuse')), problems.map(({message}) => message).join('\n'));

	// Written on the other side: the kernel tells the mount nothing.
	await writeFile(join(elsewhere, 'mod_far.erl'), 'v2');
	await waitUntil(() => records.length > 0, 'the save made on the other side is compiled', 60_000);
	t.like(records[0], {ok: true, compiled: ['mod_far'], changed: [join(mounted, 'mod_far.erl')]});
	t.deepEqual(await readFile(join(ebin, 'mod_far.beam')), syntheticBeam('mod_far', 1));
});
