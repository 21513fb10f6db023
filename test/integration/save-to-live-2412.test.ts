import {copyFile, mkdir, writeFile} from 'node:fs/promises';
import {join} from 'node:path';
import test from 'ava';
import {resolveConfig} from '../../daemon/config/resolve-config.ts';
import type {Daemon} from '../../daemon/daemon.ts';
import {nodeCall, useSandboxNode} from '../support/ejabberd.ts';
import {openDaemon} from '../support/open-daemon.ts';
import {RecordCollector, batchWith} from '../support/record-collector.ts';
import {SaveToLive, compileOf, probeSource} from '../support/save-to-live.ts';

/**
 * Save to live against ejabberd 24.12 on OTP 27, chrooted in the Debian 13
 * root: this host's erlc (OTP 25) cannot load its parse transforms, so the
 * node compiles (`compile.compiler: auto` over dist). The node sees the
 * sources, their include directory and its ebin at other paths than the
 * daemon; `paths` maps its whole directory. One daemon per file, one module
 * (or set of them) per case.
 */
const getNode = useSandboxNode(test, {ejabberd: '24.12'});
const records = new RecordCollector();
let daemon: Daemon | undefined;
let root = '';
const src = () => join(root, 'src');

const live = new SaveToLive(records, getNode, src);

test.serial.before(async () => {
	const node = getNode();
	// In the node's directory: inside the root, where the node sees it as node.toNodePath(root).
	root = join(node.dir, 'work');
	await Promise.all([mkdir(join(root, 'src'), {recursive: true}), mkdir(join(root, 'include'), {recursive: true})]);
	const config = resolveConfig({
		transport: 'dist', node: node.node, cookieFile: node.cookieFile, paths: [{local: node.dir, node: node.toNodePath(node.dir)}],
		watch: [node.ebinDir], sources: [{dir: src(), ebin: node.ebinDir}], debounceMs: 300, maxWaitMs: 3000,
	});
	daemon = await openDaemon(config, records.report);
	await daemon.start();
});

test.after.always(async () => {
	// The node's directory, and root with it, goes with the node.
	await daemon?.close('tests done');
});

test.serial('a saved module is compiled by the node and loaded, and its new code answers', async t => {
	const first = await live.saveAndLoad('live_probe', async () => writeFile(join(src(), 'live_probe.erl'), probeSource('live_probe', 1)));
	t.like(first.compiled, {ok: true, compiled: ['live_probe'], failed: [], diagnostics: [], compiler: `node's compiler (${getNode().node})`});
	t.is(first.batch.trigger, 'compile');
	t.is(await live.versionIn('live_probe'), '1');
	const second = await live.saveAndLoad('live_probe', async () => writeFile(join(src(), 'live_probe.erl'), probeSource('live_probe', 2)));
	t.deepEqual(second.batch.updated, ['live_probe']);
	t.is(await live.versionIn('live_probe'), '2');
	t.log(`compiled in ${second.compiled.modules[0]?.compileMs} ms, round ${second.compiled.durationMs} ms`);
});

test.serial('a syntax error is one failed round with file:line:col as the daemon sees the file; the old code keeps answering; the fix goes through', async t => {
	const path = join(src(), 'live_broken.erl');
	await live.saveAndLoad('live_broken', async () => writeFile(path, probeSource('live_broken', 1)));
	const since = records.mark();
	await writeFile(path, '-module(live_broken).\n-export([version/0]).\nversion() -> {2.\n');
	const failed = await records.waitFor(compileOf('live_broken'), {since, what: 'the failed round'});
	t.like(failed, {ok: false, compiled: [], failed: ['live_broken']});
	// The syntax error, then the export it leaves undefined: both in the file as the daemon sees it.
	t.like(failed.diagnostics[0], {file: path, line: 3, severity: 'error', message: 'syntax error before: \'.\''});
	t.is(typeof failed.diagnostics[0]?.column, 'number');
	t.deepEqual(failed.diagnostics.map(({file}) => file), failed.diagnostics.map(() => path));
	t.false(records.after(since).some(batchWith('live_broken')), 'nothing was loaded');
	t.is(await live.versionIn('live_broken'), '1');
	const fixed = await live.saveAndLoad('live_broken', async () => writeFile(path, probeSource('live_broken', 3)));
	t.deepEqual(fixed.batch.updated, ['live_broken']);
	t.is(await live.versionIn('live_broken'), '3');
});

test.serial('a changed header beside src/ recompiles its includer: the include directory reaches the node through paths', async t => {
	await writeFile(join(root, 'include', 'live.hrl'), '-define(LIVE, 1).\n');
	const includer = (value: string) => `-module(live_header).\n-export([version/0]).\n-include("live.hrl").\nversion() -> ${value}.\n`;
	await live.saveAndLoad('live_header', async () => writeFile(join(src(), 'live_header.erl'), includer('?LIVE')));
	t.is(await live.versionIn('live_header'), '1');
	const {compiled} = await live.saveAndLoad('live_header', async () => writeFile(join(root, 'include', 'live.hrl'), '-define(LIVE, 2).\n'));
	t.deepEqual(compiled.compiled, ['live_header']);
	t.is(await live.versionIn('live_header'), '2');
});

test.serial('a gen_mod module with xmpp.hrl, logger.hrl, ?INFO_MSG and the SQL parse transform compiles without a warning and loads', async t => {
	const {compiled, batch} = await live.saveAndLoad('mod_reloader_sql', async () => copyFile(join('fixtures', 'sources', 'gen_mod_sql', 'mod_reloader_sql.erl'), join(src(), 'mod_reloader_sql.erl')));
	t.like(compiled, {ok: true, compiled: ['mod_reloader_sql'], diagnostics: []});
	t.true(batch.ok);
	t.regex(await nodeCall(getNode(), 'code:ensure_loaded(mod_reloader_sql)'), /\{module, ?mod_reloader_sql\}/);
	t.regex(await nodeCall(getNode(), 'proplists:get_value(behaviour, mod_reloader_sql:module_info(attributes))'), /gen_mod/);
});
