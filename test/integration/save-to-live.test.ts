import {copyFile, mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import test from 'ava';
import {resolveConfig} from '../../daemon/config/resolve-config.ts';
import type {Daemon} from '../../daemon/daemon.ts';
import {nodeCall, useSandboxNode} from '../support/ejabberd.ts';
import {editorSaves, gitCheckout, type EditorName} from '../support/editor-saves.ts';
import {openDaemon} from '../support/open-daemon.ts';
import {RecordCollector, batchWith} from '../support/record-collector.ts';
import {SaveToLive, compileOf, probeSource} from '../support/save-to-live.ts';

/**
 * Save to live against a real ejabberd 23.01 node: sources saved in a
 * directory are compiled by this host's erlc as ejabberd compiles modules,
 * written into the node's ebin, loaded, and the new code answers. One daemon
 * (dist) per file, one module (or set of them) per case.
 */
const getNode = useSandboxNode(test);
const records = new RecordCollector();
let daemon: Daemon | undefined;
let root = '';
const src = () => join(root, 'src');

const live = new SaveToLive(records, getNode, src);

test.serial.before(async () => {
	const node = getNode();
	root = await mkdtemp(join(tmpdir(), 'save-to-live-'));
	await Promise.all([mkdir(join(root, 'src')), mkdir(join(root, 'include'))]);
	// This host's erlc, which ctl and http use: save-to-live-2412 goes through the node's compiler (auto over dist).
	const config = resolveConfig({transport: 'dist', node: node.node, cookieFile: node.cookieFile, watch: [node.ebinDir], sources: [{dir: src(), ebin: node.ebinDir}], compile: {compiler: 'erlc'}, debounceMs: 300, maxWaitMs: 3000});
	daemon = await openDaemon(config, records.report);
	await daemon.start();
});

test.after.always(async () => {
	await daemon?.close('tests done');
	if (root !== '') {
		await rm(root, {recursive: true, force: true});
	}
});

test.serial('a saved module is compiled and loaded, and its new code answers', async t => {
	const first = await live.saveAndLoad('live_probe', async () => writeFile(join(src(), 'live_probe.erl'), probeSource('live_probe', 1)));
	t.like(first.compiled, {ok: true, compiled: ['live_probe'], failed: [], diagnostics: []});
	t.is(first.batch.trigger, 'compile');
	t.is(await live.versionIn('live_probe'), '1');
	const second = await live.saveAndLoad('live_probe', async () => writeFile(join(src(), 'live_probe.erl'), probeSource('live_probe', 2)));
	t.deepEqual(second.batch.updated, ['live_probe']);
	t.true(second.batch.ok);
	t.is(await live.versionIn('live_probe'), '2');
	t.is((await live.roundsSince(second.since)).length, 1, 'one save, one round');
});

test.serial('a syntax error is one failed round with file:line:col; the old code keeps answering; the fix goes through', async t => {
	await live.saveAndLoad('live_broken', async () => writeFile(join(src(), 'live_broken.erl'), probeSource('live_broken', 1)));
	await live.versionIn('live_broken');
	const since = records.mark();
	const path = join(src(), 'live_broken.erl');
	await writeFile(path, '-module(live_broken).\n-export([version/0]).\nversion() -> {2.\n');
	const failed = await records.waitFor(compileOf('live_broken'), {since, what: 'the failed round'});
	t.like(failed, {ok: false, compiled: [], failed: ['live_broken']});
	const [error] = failed.diagnostics.filter(({severity}) => severity === 'error');
	t.like(error, {file: path, line: 3, severity: 'error'});
	t.is(typeof error?.column, 'number');
	t.false(records.after(since).some(batchWith('live_broken')), 'nothing was loaded');
	t.is(await live.versionIn('live_broken'), '1');
	const fixed = await live.saveAndLoad('live_broken', async () => writeFile(path, probeSource('live_broken', 3)));
	t.deepEqual(fixed.batch.updated, ['live_broken']);
	t.is(await live.versionIn('live_broken'), '3');
});

test.serial('a changed header recompiles exactly the modules that include it', async t => {
	await writeFile(join(root, 'include', 'live.hrl'), '-define(LIVE, 1).\n');
	await writeFile(join(root, 'include', 'live_outer.hrl'), '-include("live.hrl").\n');
	const modules = {
		live_direct: '-include("live.hrl").\n',
		live_through: '-include("live_outer.hrl").\n',
		live_apart: '',
	};
	for (const [module, include] of Object.entries(modules)) {
		await live.saveAndLoad(module, async () => writeFile(join(src(), `${module}.erl`), probeSource(module, 1, include)));
		await live.versionIn(module);
	}
	const since = records.mark();
	await writeFile(join(root, 'include', 'live.hrl'), '-define(LIVE, 2).\n');
	const round = await records.waitFor(compileOf('live_direct'), {since, what: 'the round the header started'});
	t.deepEqual([...round.compiled].sort(), ['live_direct', 'live_through']);
	t.deepEqual(round.changed, [join(root, 'include', 'live.hrl')]);
	const rounds = await live.roundsSince(since);
	t.is(rounds.length, 1);
	t.false(rounds.some(compileOf('live_apart')));
});

const editors: EditorName[] = ['vim', 'vimBackupcopyYes', 'emacs', 'jetbrains', 'vscode', 'sedInPlace', 'inPlace'];
for (const editor of editors) {
	test.serial(`${editor}: one save is one compile, none for its temporary files, and the new code answers`, async t => {
		const module = `live_${editor.toLowerCase()}`;
		const path = join(src(), `${module}.erl`);
		await live.saveAndLoad(module, async () => writeFile(path, probeSource(module, 1)));
		await live.versionIn(module);
		const names: string[] = [];
		const {batch, since} = await live.saveAndLoad(module, async () => editorSaves[editor](path, probeSource(module, 2), name => names.push(name)));
		// Every replay names the saved file; all but a plain in-place write make temporary files besides.
		t.true(names.length > (editor === 'inPlace' ? 0 : 1), `names: ${names.join(' ')}`);
		t.deepEqual(batch.updated, [module]);
		t.is(await live.versionIn(module), '2');
		const rounds = await live.roundsSince(since);
		t.is(rounds.length, 1, `rounds: ${JSON.stringify(rounds.map(({changed}) => changed))}`);
		t.deepEqual(rounds[0]?.changed, [path]);
	});
}

test.serial('git checkout of many files at once is one round, each changed module compiled once', async t => {
	const modules = ['live_git_a', 'live_git_b', 'live_git_c', 'live_git_d'];
	for (const module of modules) {
		await live.saveAndLoad(module, async () => writeFile(join(src(), `${module}.erl`), probeSource(module, 1)));
		await live.versionIn(module);
	}
	const since = records.mark();
	// live_git_d is checked out as it was: no change, no compile.
	await gitCheckout(src(), Object.fromEntries(modules.map(module => [`${module}.erl`, probeSource(module, module === 'live_git_d' ? 1 : 2)])));
	const round = await records.waitFor(compileOf('live_git_a'), {since, what: 'the checkout\'s round'});
	t.deepEqual([...round.compiled].sort(), ['live_git_a', 'live_git_b', 'live_git_c']);
	const rounds = await live.roundsSince(since);
	t.is(rounds.length, 1);
	await records.waitFor(record => batchWith('live_git_c', {settled: true})(record) && record.updated.includes('live_git_c'), {since, what: 'the checkout\'s batch'});
	t.is(await live.versionIn('live_git_c'), '2');
});

test.serial('a gen_mod module with xmpp.hrl, logger.hrl, ?INFO_MSG and the SQL parse transform compiles without a warning and loads', async t => {
	const {compiled, batch} = await live.saveAndLoad('mod_reloader_sql', async () => copyFile(join('fixtures', 'sources', 'gen_mod_sql', 'mod_reloader_sql.erl'), join(src(), 'mod_reloader_sql.erl')));
	t.like(compiled, {ok: true, compiled: ['mod_reloader_sql'], diagnostics: []});
	t.true(batch.ok);
	t.regex(await nodeCall(getNode(), 'code:ensure_loaded(mod_reloader_sql)'), /\{module, ?mod_reloader_sql\}/);
	t.regex(await nodeCall(getNode(), 'proplists:get_value(behaviour, mod_reloader_sql:module_info(attributes))'), /gen_mod/);
});
