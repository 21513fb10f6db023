import {mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import test, {type ExecutionContext} from 'ava';
import {stringify} from 'yaml';
import {resolveConfig} from '../../daemon/config/resolve-config.ts';
import type {UserConfig} from '../../daemon/config/schema.ts';
import type {SandboxNode} from '../../daemon/sandbox/sandbox-node.ts';
import {runCli} from '../support/cli.ts';
import {nodeCall, useSandboxNode} from '../support/ejabberd.ts';
import {compileGenerated, installBeam} from '../support/fixtures.ts';
import {openDaemon} from '../support/open-daemon.ts';
import {RecordCollector, batchWith, isInit} from '../support/record-collector.ts';

// A 24.12 node in a chroot sees its files at other paths than the daemon:
// /compat/<n>/... for the node, ROOT/compat/<n>/... here, as with a container's
// volume. `paths` maps one to the other; everything below goes over dist.

const getNode = useSandboxNode(test, {ejabberd: '24.12'});

/** The node's whole directory, mapped: its ebin and its contrib modules directory live under it. */
function distConfig(node: SandboxNode, extra: UserConfig = {}): UserConfig {
	return {transport: 'dist', node: node.node, cookieFile: node.cookieFile, paths: [{local: node.dir, node: node.toNodePath(node.dir)}], debounceMs: 100, ...extra};
}

async function buildDir(t: ExecutionContext): Promise<string> {
	const dir = await mkdtemp(join(tmpdir(), 'reloader-paths-'));
	t.teardown(() => rm(dir, {recursive: true, force: true}));
	return dir;
}

async function build(t: ExecutionContext, module: string, version: number): Promise<string> {
	const dir = join(await buildDir(t), `${module}-v${version}`);
	await mkdir(dir);
	return compileGenerated(module, version, dir);
}

test.serial('mapped paths over dist: updated, unchanged and notLoaded are right, and loadNew loads from the node\'s path', async t => {
	const node = getNode();
	for (const module of ['pm_changed', 'pm_same', 'pm_fresh', 'pm_new']) {
		await installBeam(await build(t, module, 1), node.hostEbinDir);
	}
	await nodeCall(node, '[code:ensure_loaded(M) || M <- [pm_changed, pm_same]]');
	await installBeam(await build(t, 'pm_changed', 2), node.hostEbinDir);
	await installBeam(await build(t, 'pm_same', 1), node.hostEbinDir);

	const records = new RecordCollector();
	const daemon = await openDaemon(resolveConfig(distConfig(node, {watch: [node.hostEbinDir]})), records.report);
	try {
		const batch = await daemon.update(['pm_changed', 'pm_same', 'pm_fresh'], 'api');
		t.like(batch, {ok: true, verifiedBy: 'content', updated: ['pm_changed'], unchanged: ['pm_same'], notLoaded: ['pm_fresh'], failed: []});
		t.is(await nodeCall(node, 'pm_changed:version()'), '2');
		t.is(await nodeCall(node, 'code:is_loaded(pm_fresh)'), 'false');
	} finally {
		await daemon.close('case done');
	}

	const loading = await openDaemon(resolveConfig(distConfig(node, {watch: [node.hostEbinDir], loadNew: true})), records.report);
	try {
		const batch = await loading.update(['pm_new'], 'api');
		t.like(batch, {ok: true, updated: ['pm_new'], failed: []});
		t.is(await nodeCall(node, 'code:is_loaded(pm_new)'), `{file, "${node.nodeEbinDir}/pm_new.beam"}`);
	} finally {
		await loading.close('case done');
	}
});

test.serial('`ejabberd-reloader once` with mapped paths and watch: auto exits 0 and updates what changed', async t => {
	const node = getNode();
	await installBeam(await build(t, 'pm_once', 1), node.hostEbinDir);
	await nodeCall(node, 'code:ensure_loaded(pm_once)');
	await installBeam(await build(t, 'pm_once', 2), node.hostEbinDir);
	const dir = await buildDir(t);
	const configFile = join(dir, 'config.yml');
	await writeFile(configFile, stringify({...distConfig(node), watch: 'auto', api: {enabled: false}}));
	const result = await runCli(['once', '--config', configFile]);
	t.is(result.code, 0, `${result.stdout}\n${result.stderr}`);
	const record = JSON.parse(result.stdout) as {updated: string[]; failed: unknown[]; ok: boolean};
	t.true(record.updated.includes('pm_once'), result.stdout);
	t.deepEqual(record.failed, []);
	t.is(await nodeCall(node, 'pm_once:version()'), '2');
});

test.serial('watch: auto finds the contrib directory, and a contrib module changed while the daemon was stopped is loaded at start', async t => {
	const node = getNode();
	const contribEbin = join(node.contribDir, 'mod_pm_contrib', 'ebin');
	await mkdir(contribEbin, {recursive: true});
	await installBeam(await build(t, 'mod_pm_contrib', 1), contribEbin);
	t.is(await nodeCall(node, `code:add_patha("${node.toNodePath(contribEbin)}")`), 'true');
	await nodeCall(node, 'code:ensure_loaded(mod_pm_contrib)');
	// Rebuilt while no daemon runs: update_info never lists it, it is beyond its directory.
	await installBeam(await build(t, 'mod_pm_contrib', 2), contribEbin);

	const records = new RecordCollector();
	const daemon = await openDaemon(resolveConfig(distConfig(node, {watch: 'auto'})), records.report);
	t.teardown(() => daemon.close('test done'));
	await daemon.start();
	const watch = await records.waitFor(record => record.event === 'watch', {what: 'watch record'});
	t.true(watch.event === 'watch' && watch.directories.includes(contribEbin), JSON.stringify(watch));
	t.true(watch.event === 'watch' && watch.directories[0] === node.hostEbinDir, JSON.stringify(watch));
	const init = await records.waitFor(isInit, {what: 'init record'});
	t.true(init.pending.includes('mod_pm_contrib'), JSON.stringify(init));
	const batch = await records.waitFor(batchWith('mod_pm_contrib'), {what: 'the catch-up batch'});
	t.like(batch, {trigger: 'init', ok: true, updated: ['mod_pm_contrib']});
	t.is(await nodeCall(node, 'mod_pm_contrib:version()'), '2');
});

test.serial('`once` catches up a contrib module changed while nothing watched: the one batch it prints loads it', async t => {
	const node = getNode();
	const contribEbin = join(node.contribDir, 'mod_pm_contrib', 'ebin');
	await installBeam(await build(t, 'mod_pm_contrib', 3), contribEbin);
	const dir = await buildDir(t);
	const configFile = join(dir, 'config.yml');
	await writeFile(configFile, stringify({...distConfig(node), watch: 'auto', api: {enabled: false}}));
	const result = await runCli(['once', '--config', configFile]);
	t.is(result.code, 0, `${result.stdout}\n${result.stderr}`);
	const record = JSON.parse(result.stdout) as {updated: string[]; listed: string[]};
	t.deepEqual(record.updated, ['mod_pm_contrib'], result.stdout);
	t.deepEqual(record.listed, [], 'update_info never lists a module beyond its directory');
	t.is(await nodeCall(node, 'mod_pm_contrib:version()'), '3');
});

test.serial('a watch directory that does not exist yet is a warning, and is watched as soon as it appears', async t => {
	const node = getNode();
	const later = join(node.contribDir, 'mod_pm_later', 'ebin');
	const records = new RecordCollector();
	const daemon = await openDaemon(resolveConfig(distConfig(node, {watch: [node.hostEbinDir, later], loadNew: true})), records.report);
	t.teardown(() => daemon.close('test done'));
	await daemon.start();
	const warning = records.records.find(record => record.event === 'error' && record.code === 'WARN_WATCH_MISSING');
	t.truthy(warning, JSON.stringify(records.records));
	t.regex(warning?.event === 'error' ? warning.message : '', /mod_pm_later\/ebin does not exist yet; it is watched as soon as it appears\. It looks like a contrib module's ebin: `ejabberdctl module_install mod_pm_later`/);
	await mkdir(later, {recursive: true});
	await installBeam(await build(t, 'mod_pm_later', 1), later);
	const batch = await records.waitFor(batchWith('mod_pm_later'), {what: 'the batch of the directory that appeared'});
	t.like(batch, {ok: true, updated: ['mod_pm_later']});
	t.is(await nodeCall(node, 'code:is_loaded(mod_pm_later)'), `{file, "${node.toNodePath(join(later, 'mod_pm_later.beam'))}"}`);
});

test.serial('without paths, watch: auto exits 2 naming the node\'s directory and the paths entry to add; over ctl it is refused outright', async t => {
	const node = getNode();
	const dir = await buildDir(t);
	const configFile = join(dir, 'config.yml');
	await writeFile(configFile, stringify({transport: 'dist', node: node.node, cookieFile: node.cookieFile, watch: 'auto', api: {enabled: false}}));
	const dist = await runCli(['once', '--config', configFile]);
	t.is(dist.code, 2, dist.stderr);
	t.true(dist.stderr.includes(`loads ejabberd from ${node.nodeEbinDir}, which does not exist on this host, and no \`paths\` entry covers it`), dist.stderr);
	t.true(dist.stderr.includes(`paths: [{local: <where this directory is on this machine>, node: ${node.nodeEbinDir}}]`), dist.stderr);
	t.log(dist.stderr.trim());

	await writeFile(configFile, stringify({transport: 'ctl', ctl: {command: [...node.ctlCommand]}, watch: 'auto', api: {enabled: false}}));
	const ctl = await runCli(['once', '--config', configFile]);
	t.is(ctl.code, 2, ctl.stderr);
	t.regex(ctl.stderr, /watch: auto cannot locate the node's ebin with certainty \(transport: ctl cannot ask the node where its code is, and ctl\.command \[.*\] is not the plain ejabberdctl/);
	t.log(ctl.stderr.trim());
});
