import {mkdir, mkdtemp, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import test, {type ExecutionContext} from 'ava';
import {resolveConfig} from '../../daemon/config/resolve-config.ts';
import type {UserConfig} from '../../daemon/config/schema.ts';
import type {Daemon} from '../../daemon/daemon.ts';
import {openDaemon} from '../support/open-daemon.ts';
import type {BatchRecord} from '../../daemon/reloader/batch-record.ts';
import type {SandboxNode} from '../../daemon/sandbox/sandbox-node.ts';
import {nodeCall, useSandboxNode} from '../support/ejabberd.ts';
import {compileGenerated, compileLooping, installBeam} from '../support/fixtures.ts';
import {RecordCollector, batchWith, isBatch} from '../support/record-collector.ts';

const getNode = useSandboxNode(test);
let buildDir = '';
let contribEbin = '';

const dist = (node: SandboxNode): UserConfig => ({transport: 'dist', node: node.node, cookieFile: node.cookieFile});
const ctl = (node: SandboxNode): UserConfig => ({transport: 'ctl', node: node.node, ctl: {command: [...node.ctlCommand]}});

test.serial.before(async () => {
	const node = getNode();
	buildDir = await mkdtemp(join(tmpdir(), 'reloader-build-'));
	// A contrib-style directory: on the node's code path, but not the directory update_info scans.
	contribEbin = join(node.dir, 'contrib', 'mod_contrib', 'ebin');
	await mkdir(contribEbin, {recursive: true});
	await nodeCall(node, `code:add_patha("${contribEbin}")`);
});

test.after.always(async () => {
	if (buildDir !== '') {
		await rm(buildDir, {recursive: true, force: true});
	}
});

async function build(compile: typeof compileGenerated, module: string, version: number): Promise<string> {
	const dir = join(buildDir, `${module}-${version}-${Math.random().toString(16).slice(2)}`);
	await mkdir(dir);
	return compile(module, version, dir);
}

async function startDaemon(t: ExecutionContext, records: RecordCollector, config: UserConfig): Promise<Daemon> {
	const resolved = resolveConfig({...config, watch: [getNode().ebinDir, contribEbin]});
	const daemon = await openDaemon(resolved, records.report);
	t.teardown(() => daemon.close('test done'));
	await daemon.start();
	return daemon;
}

test.serial('dist: a loaded module outside update_info\'s directory is loaded from its own beam and verified', async t => {
	const node = getNode();
	await installBeam(await build(compileGenerated, 'contrib_dist', 1), contribEbin);
	await nodeCall(node, 'code:ensure_loaded(contrib_dist)');
	const records = new RecordCollector();
	await startDaemon(t, records, dist(node));

	const since = records.mark();
	await installBeam(await build(compileGenerated, 'contrib_dist', 2), contribEbin);
	const batch = await records.waitFor(batchWith('contrib_dist'), {since, what: 'batch with contrib_dist'});
	t.deepEqual(batch.updated, ['contrib_dist']);
	t.is(batch.verifiedBy, 'content');
	t.is(await nodeCall(node, 'contrib_dist:version()'), '2');
	t.regex(await nodeCall(node, 'code:which(contrib_dist)'), /contrib/);
});

test.serial('ctl: a changed module outside update_info\'s directory is reported out of reach, not ignored', async t => {
	const node = getNode();
	await installBeam(await build(compileGenerated, 'contrib_ctl', 1), contribEbin);
	await nodeCall(node, 'code:ensure_loaded(contrib_ctl)');
	const records = new RecordCollector();
	await startDaemon(t, records, ctl(node));

	const since = records.mark();
	await installBeam(await build(compileGenerated, 'contrib_ctl', 2), contribEbin);
	const batch = await records.waitFor(batchWith('contrib_ctl'), {since, what: 'batch with contrib_ctl'});
	t.deepEqual(batch.outOfReach, ['contrib_ctl']);
	t.deepEqual(batch.updated, []);
	t.is(await nodeCall(node, 'contrib_ctl:version()'), '1');
});

test.serial('dist with loadNew: a module never loaded is loaded', async t => {
	const node = getNode();
	const records = new RecordCollector();
	await startDaemon(t, records, {...dist(node), loadNew: true});
	const since = records.mark();
	await installBeam(await build(compileGenerated, 'fresh_loaded', 1), node.ebinDir);
	const batch = await records.waitFor(batchWith('fresh_loaded'), {since, what: 'batch with fresh_loaded'});
	t.deepEqual(batch.updated, ['fresh_loaded']);
	t.regex(await nodeCall(node, 'code:is_loaded(fresh_loaded)'), /^\{file,/);
});

async function startLooping(t: ExecutionContext, module: string, config: UserConfig): Promise<RecordCollector> {
	const node = getNode();
	await installBeam(await build(compileLooping, module, 1), node.ebinDir);
	await nodeCall(node, `${module}:start()`);
	const records = new RecordCollector();
	await startDaemon(t, records, config);
	// The first update leaves the looping process in the old code; nobody is killed yet.
	const since = records.mark();
	await installBeam(await build(compileLooping, module, 2), node.ebinDir);
	const batch = await records.waitFor(batchWith(module), {since, what: `first update of ${module}`});
	t.deepEqual(batch.updated, [module]);
	t.deepEqual(batch.killed, []);
	t.is(await nodeCall(node, `is_process_alive(whereis(${module}))`), 'true');
	return records;
}

test.serial('purge brutal: updating again kills the process in old code, and the record names it', async t => {
	const node = getNode();
	const records = await startLooping(t, 'holder_brutal', {...dist(node), purge: 'brutal'});
	const pid = await nodeCall(node, 'pid_to_list(whereis(holder_brutal))');
	const since = records.mark();
	await installBeam(await build(compileLooping, 'holder_brutal', 3), node.ebinDir);
	const batch = await records.waitFor(batchWith('holder_brutal'), {since, what: 'second update of holder_brutal'});
	t.deepEqual(batch.updated, ['holder_brutal']);
	t.is(batch.killed.length, 1);
	t.is(batch.killed[0]?.processes.length, 1);
	// The record prints pids as <'node'.Id.Serial>, pid_to_list as <0.Id.Serial>: compare Id and Serial.
	const idAndSerial = (text: string | undefined) => /\.(\d+)\.(\d+)>"?$/.exec(text ?? '')?.slice(1).join('.');
	t.is(idAndSerial(batch.killed[0]?.processes[0]?.pid), idAndSerial(pid));
	t.is(await nodeCall(node, 'whereis(holder_brutal)'), 'undefined', 'the process is gone');
	t.is(await nodeCall(node, 'holder_brutal:version()'), '3');
});

test.serial('purge soft: the module is held back while a process runs its old code, then updated once it leaves', async t => {
	const node = getNode();
	const records = await startLooping(t, 'holder_soft', {...dist(node), purge: 'soft', purgeRetryMs: 500});
	const since = records.mark();
	await installBeam(await build(compileLooping, 'holder_soft', 3), node.ebinDir);
	const held = await records.waitFor(batchWith('holder_soft'), {since, what: 'held-back batch'});
	t.deepEqual(held.heldBack, ['holder_soft']);
	t.is(held.holders[0]?.module, 'holder_soft');
	t.is(held.holders[0]?.processes.length, 1);
	t.is(await nodeCall(node, 'holder_soft:version()'), '2');
	t.is(await nodeCall(node, 'is_process_alive(whereis(holder_soft))'), 'true', 'nobody was killed');

	await nodeCall(node, 'holder_soft ! stop');
	const retried = await records.waitFor((record): record is BatchRecord => isBatch(record) && record.updated.includes('holder_soft'), {since, what: 'the retried batch'});
	t.deepEqual(retried.heldBack, []);
	t.is(await nodeCall(node, 'holder_soft:version()'), '3');
});
