import {mkdir, readFile, writeFile} from 'node:fs/promises';
import {join} from 'node:path';
import test from 'ava';
import {resolveConfig} from '../../daemon/config/resolve-config.ts';
import type {DaemonRecord} from '../../daemon/records.ts';
import type {CompileRecord} from '../../daemon/sources/compile-record.ts';
import {EJABBERD_CONTRIB, stageContribSources} from '../support/contrib.ts';
import {nodeCall, runCtl, withSandboxNode} from '../support/ejabberd.ts';
import {openDaemon} from '../support/open-daemon.ts';
import {RecordCollector, batchWith} from '../support/record-collector.ts';
import {waitUntil} from '../support/wait.ts';

/**
 * Contrib modules first-class in the loop, as in the sandbox: a daemon with
 * `watch: auto` and `sources: auto` (dist) on a node with no contrib module
 * at start; `ejabberdctl module_install mod_cron` (processone's, unchanged)
 * while it runs; then its source edited. The new ebin is watched and the
 * edit compiled into it and loaded, without a restart.
 */
test('a contrib module installed with module_install after start is watched, and an edit of its source goes live', async t => {
	const node = await withSandboxNode(t);
	const records = new RecordCollector();
	const config = resolveConfig({transport: 'dist', node: node.node, cookieFile: node.cookieFile, watch: 'auto', sources: 'auto', debounceMs: 300});
	const daemon = await openDaemon(config, records.report);
	t.teardown(() => daemon.close('test done'));
	await daemon.start();

	const source = join(await stageContribSources(node, EJABBERD_CONTRIB, 'mod_cron'), 'src', 'mod_cron.erl');
	// The admin's config of the module (ext_mod reads it before the module's own, which leaves it off): the install starts it.
	await mkdir(join(node.contribDir, 'conf'));
	await writeFile(join(node.contribDir, 'conf', 'mod_cron.yml'), 'modules:\n  mod_cron: {}\n');
	const install = await runCtl(node, 'module_install', 'mod_cron');
	t.is(install.code, 0, install.stdout + install.stderr);

	const ebin = join(node.contribDir, 'mod_cron', 'ebin');
	const watched = await records.waitFor(record => record.event === 'watch' && record.directories.includes(ebin), {what: `the watch record of ${ebin}`});
	t.like(watched, {event: 'watch'});
	const sources = join(node.contribDir, 'sources', 'ejabberd-contrib', 'mod_cron', 'src');
	await waitUntil(() => daemon.status().compile?.directories.includes(sources) === true, `${sources} followed`);
	t.deepEqual(daemon.status().directories.filter(directory => directory === ebin), [ebin]);

	const since = records.mark();
	const original = await readFile(source, 'utf8');
	await writeFile(source, `${original.replace('-module(mod_cron).', '-module(mod_cron).\n-export([reloader_probe/0]).')}\nreloader_probe() -> edited.\n`);
	const round = await records.waitFor((record: DaemonRecord): record is CompileRecord => record.event === 'compile' && record.modules.some(({module}) => module === 'mod_cron'), {since, what: 'the round of mod_cron'});
	t.like(round, {ok: true, compiled: ['mod_cron']}, JSON.stringify(round.diagnostics));
	const batch = await records.waitFor(batchWith('mod_cron', {settled: true}), {since, what: 'the batch that loads mod_cron'});
	t.deepEqual(batch.updated, ['mod_cron']);
	t.is(await nodeCall(node, 'mod_cron:reloader_probe()'), 'edited');
	t.is(await nodeCall(node, 'gen_mod:is_loaded(<<"localhost">>, mod_cron)'), 'true');
});
