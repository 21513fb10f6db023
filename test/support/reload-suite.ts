import {execFile} from 'node:child_process';
import {mkdir, mkdtemp, readFile, rm, stat, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {promisify} from 'node:util';
import type {TestFn} from 'ava';
import {resolveConfig} from '../../daemon/config/resolve-config.ts';
import type {UserConfig} from '../../daemon/config/schema.ts';
import type {Daemon} from '../../daemon/daemon.ts';
import type {DaemonRecord} from '../../daemon/records.ts';
import {openDaemon} from './open-daemon.ts';
import type {SandboxNode} from '../../daemon/sandbox/sandbox-node.ts';
import {nodeCall, useSandboxNode, type TestNodeOptions} from './ejabberd.ts';
import {compileFailingOnLoad, compileGenerated, installBeam, installBeamTruncated} from './fixtures.ts';
import {observeTransport} from './observed-transport.ts';
import {RecordCollector, batchWith, isBatch, isProblem} from './record-collector.ts';
import {waitUntil} from './wait.ts';

const BURST = Array.from({length: 30}, (_, index) => `gen_burst_${index + 1}`);
/** Modules loaded in the node before the daemon starts, one (or a burst) per case. */
const LOADED = ['gen_changed', 'gen_identical', 'gen_truncated', 'gen_during_a', 'gen_during_b', 'gen_good', 'gen_bad', ...BURST];

/**
 * The reload behaviour every transport must have, against a real sandbox
 * ejabberd node: one node and one in-process daemon per test file, a module
 * (or a burst of them) of its own per case. `nodeOptions` picks the ejabberd
 * version (a 24.12 node sees its ebin at another path than the daemon: the
 * transport config maps it with `paths` over dist). The daemon watches the
 * node's ebin as this process sees it.
 */
export function defineReloadSuite(test: TestFn, transportConfig: (node: SandboxNode) => UserConfig, nodeOptions: TestNodeOptions = {}): void {
	const getNode = useSandboxNode(test, nodeOptions);
	const records = new RecordCollector();
	let daemon: Daemon | undefined;
	let buildDir = '';
	let beforeUpdate: ((modules: readonly string[]) => Promise<void>) | undefined;

	const build = async (module: string, version: number) => {
		const dir = join(buildDir, `${module}-v${version}-${Math.random().toString(16).slice(2)}`);
		await mkdir(dir);
		return compileGenerated(module, version, dir);
	};
	const install = async (module: string, version: number) => installBeam(await build(module, version), getNode().ebinDir);
	const versionIn = (module: string) => nodeCall(getNode(), `${module}:version()`);

	test.serial.before(async () => {
		const node = getNode();
		buildDir = await mkdtemp(join(tmpdir(), 'reloader-build-'));
		for (const module of LOADED) {
			await install(module, 1);
		}
		await nodeCall(node, `[code:ensure_loaded(M) || M <- [${LOADED.join(',')}]]`);
		const config = resolveConfig({debounceMs: 300, maxWaitMs: 3000, incompleteTimeoutMs: 1000, ...transportConfig(node), watch: [node.ebinDir]});
		daemon = await openDaemon(config, records.report, transport => observeTransport(transport, {beforeUpdate: async modules => beforeUpdate?.(modules)}));
		await daemon.start();
	});

	test.after.always(async () => {
		await daemon?.close('tests done');
		if (buildDir !== '') {
			await rm(buildDir, {recursive: true, force: true});
		}
	});

	test.serial('the init step ran before watching', async t => {
		const init = await records.waitFor(record => record.event === 'init', {what: 'init record'});
		const watch = records.records.findIndex(record => record.event === 'watch');
		t.true(records.records.indexOf(init) < watch);
		t.regex(await nodeCall(getNode(), 'code:is_loaded(ejabberd_update)'), /^\{file,/);
	});

	test.serial('a changed, loaded module is reloaded and its new code answers', async t => {
		const since = records.mark();
		await install('gen_changed', 2);
		const batch = await records.waitFor(batchWith('gen_changed', {settled: true}), {since, what: 'the batch that settles gen_changed'});
		t.deepEqual(batch.updated, ['gen_changed']);
		t.true(batch.ok);
		t.is(await versionIn('gen_changed'), '2');
	});

	test.serial('a burst of beams written in quick succession gives one batch', async t => {
		const beams = await Promise.all(BURST.map(async module => build(module, 2)));
		const since = records.mark();
		// As `make install` does it: one `install` process writing every beam (unlink, then write).
		await promisify(execFile)('install', ['-m', '644', ...beams, getNode().ebinDir]);
		// Over ctl each of the 30 modules is one `ejabberdctl update` (an Erlang VM booted per call): ~60 s on a loaded host, so the limit is generous.
		const batch = await records.waitFor(batchWith(BURST[0] ?? ''), {since, what: 'batch of the burst', timeoutMs: 240_000});
		t.deepEqual([...batch.updated].sort(), [...BURST].sort());
		await waitUntil(() => isIdle(daemon), 'the daemon is idle');
		const burstBatches = records.after(since).filter(isBatch).filter(record => BURST.some(module => batchWith(module)(record)));
		t.is(burstBatches.length, 1);
		t.is(await versionIn(BURST[BURST.length - 1] ?? ''), '2');
	});

	test.serial('an identical rebuild is unchanged', async t => {
		const since = records.mark();
		await install('gen_identical', 1);
		const batch = await records.waitFor(batchWith('gen_identical', {settled: true}), {since, what: 'the batch that settles gen_identical'});
		t.deepEqual(batch.unchanged, ['gen_identical']);
		t.deepEqual(batch.updated, []);
		t.is(await versionIn('gen_identical'), '1');
	});

	test.serial('a never-loaded module is notLoaded, and stays unloaded', async t => {
		const since = records.mark();
		await install('gen_fresh', 1);
		const batch = await records.waitFor(batchWith('gen_fresh', {settled: true}), {since, what: 'the batch that settles gen_fresh'});
		t.deepEqual(batch.notLoaded, ['gen_fresh']);
		t.is(await nodeCall(getNode(), 'code:is_loaded(gen_fresh)'), 'false');
	});

	test.serial('a truncated beam is reported and never handed to ejabberd; its complete write is', async t => {
		const beam = await build('gen_truncated', 2);
		const size = (await stat(beam)).size;
		const since = records.mark();
		const path = await installBeamTruncated(beam, getNode().ebinDir, Math.floor(size / 2));
		// Another batch running meanwhile may warn first that the directory did not settle: the report of the beam itself is what counts.
		const problem = await records.waitFor((record): record is Extract<DaemonRecord, {event: 'error'}> => isProblem(record) && record.path === path, {since, what: `the report of ${path}`});
		t.is(problem.code, 'ERR_BEAM_INCOMPLETE');
		t.regex(problem.message, new RegExp(`${Math.floor(size / 2)} of ${size} bytes`));
		t.false(records.after(since).some(batchWith('gen_truncated')));
		t.is(await versionIn('gen_truncated'), '1');

		await installBeam(beam, getNode().ebinDir);
		const batch = await records.waitFor(batchWith('gen_truncated', {settled: true}), {since, what: 'the batch that settles gen_truncated'});
		t.deepEqual(batch.updated, ['gen_truncated']);
		t.is(await versionIn('gen_truncated'), '2');
	});

	test.serial('a change made while a batch runs is applied in the next batch', async t => {
		const secondBeam = await build('gen_during_b', 2);
		const since = records.mark();
		beforeUpdate = async modules => {
			if (!modules.includes('gen_during_a')) {
				return;
			}
			beforeUpdate = undefined;
			await installBeam(secondBeam, getNode().ebinDir);
			// Hold the running batch until the watcher has passed the new change to the batcher.
			await waitUntil(() => (daemon?.status().pendingChanges ?? 0) > 0, 'gen_during_b is waiting for its batch');
		};
		await install('gen_during_a', 2);
		const first = await records.waitFor(batchWith('gen_during_a'), {since, what: 'batch with gen_during_a'});
		const second = await records.waitFor(batchWith('gen_during_b'), {since, what: 'batch with gen_during_b'});
		t.deepEqual(first.updated, ['gen_during_a']);
		t.deepEqual(second.updated, ['gen_during_b']);
		t.true(second.id > first.id);
		t.is(await versionIn('gen_during_a'), '2');
		t.is(await versionIn('gen_during_b'), '2');
	});

	test.serial('a module whose new code cannot load fails alone; the rest of its batch is updated', async t => {
		const good = await build('gen_good', 2);
		const badDir = join(buildDir, 'gen_bad-v2');
		await mkdir(badDir);
		const bad = await compileFailingOnLoad('gen_bad', 2, badDir);
		const since = records.mark();
		await installBeam(good, getNode().ebinDir);
		await installBeam(bad, getNode().ebinDir);
		// The batches that settle each (a list-verified batch defers a module whose late watcher event came while it ran: a later one says).
		const settled = async (module: string, mark: number) => records.waitFor(batchWith(module, {settled: true}), {since: mark, what: `the batch that settles ${module}`});
		const [good2, bad2] = [await settled('gen_good', since), await settled('gen_bad', since)];
		t.deepEqual(bad2.failed.map(failure => failure.module), ['gen_bad']);
		t.false(bad2.ok);
		t.deepEqual(good2.updated, ['gen_good'], 'the rest of its batch is updated');
		t.is(await versionIn('gen_good'), '2');
		t.is(await versionIn('gen_bad'), '1', 'the old code of the bad module still runs');

		// A failed batch does not block the next one; putting v1 back leaves the node consistent for later cases.
		const [goodV3, badV1] = await Promise.all([build('gen_good', 3), build('gen_bad', 1)]);
		const next = records.mark();
		await installBeam(goodV3, getNode().ebinDir);
		await installBeam(badV1, getNode().ebinDir);
		t.deepEqual((await settled('gen_good', next)).updated, ['gen_good']);
		t.deepEqual((await settled('gen_bad', next)).unchanged, ['gen_bad']);
	});

	test.serial('reconcile updates every module that differs from disk, and only those', async t => {
		const node = getNode();
		const beam = await build('gen_changed', 3);
		// Written while no daemon watches: only a reconcile can find it.
		await daemon?.close('pausing the watcher');
		daemon = undefined;
		await writeFile(join(node.ebinDir, 'gen_changed.beam'), await readFile(beam), {mode: 0o644});
		const config = resolveConfig({...transportConfig(node), watch: [node.ebinDir]});
		const once = await openDaemon(config, records.report);
		try {
			const record = await once.reconcile('once');
			t.deepEqual(record.updated, ['gen_changed']);
			t.deepEqual(record.listed, ['gen_changed']);
			t.is(await versionIn('gen_changed'), '3');
		} finally {
			await once.close('once done');
		}
	});
}

function isIdle(daemon: Daemon | undefined): boolean {
	const status = daemon?.status();
	return status !== undefined && status.unsettledBeams === 0 && status.pendingChanges === 0 && status.queuedBatches === 0 && status.runningBatches === 0;
}
