import {copyFile, mkdtemp, readFile, rm, stat, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {dirname, join} from 'node:path';
import test from 'ava';
import {findFreePort} from '../../daemon/sandbox/free-port.ts';
import {CliProcess, runCli} from '../support/cli.ts';
import {compileGenerated, installBeam} from '../support/fixtures.ts';

/** The value after `label` on the first stdout line that starts with it. */
function printed(cli: CliProcess, label: string): string {
	return cli.stdoutLines.find(text => text.startsWith(label))?.slice(label.length).trim() ?? '';
}

test('sandbox starts a node with the daemon attached, reloads into it, and cleans up on Ctrl-C', async t => {
	// A module of the developer's, by its source file: compiled first, enabled, its saves live.
	const devDir = await mkdtemp(join(tmpdir(), 'reloader-dev-'));
	t.teardown(() => rm(devDir, {recursive: true, force: true}));
	const devSource = join(devDir, 'mod_reloader_sql.erl');
	await copyFile(join('fixtures', 'sources', 'gen_mod_sql', 'mod_reloader_sql.erl'), devSource);
	const cli = new CliProcess(['sandbox', '--log-format', 'json', '--api-listen', `127.0.0.1:${await findFreePort()}`, '--module', 'mod_version', '--module', 'mod_time', '--module', devSource]);
	// Ctrl-C, not SIGKILL: a test that fails half-way must not leave the sandbox's node running.
	t.teardown(async () => cli.interrupt());
	await cli.waitForLine('stdout', text => text.startsWith('Press Ctrl-C'), 120_000);
	const ebin = printed(cli, 'Or install beams into: ');
	const sources = printed(cli, 'Save module sources into: ');
	t.true((await stat(ebin)).isDirectory());
	// Where to enable modules, with the --module ones already there, and its own contrib dir.
	const yml = printed(cli, 'Its ejabberd.yml: ');
	t.regex(await readFile(yml, 'utf8'), /^modules:\n {2}mod_version: \{\}\n {2}mod_time: \{\}\n {2}mod_reloader_sql: \{\}$/m);
	const contrib = printed(cli, 'Its contrib modules dir: ');
	t.true((await stat(contrib)).isDirectory());
	t.regex(await readFile(join(dirname(yml), 'ejabberdctl.cfg'), 'utf8'), new RegExp(`^CONTRIB_MODULES_PATH=${contrib}$`, 'm'));

	const buildDir = await mkdtemp(join(tmpdir(), 'reloader-build-'));
	t.teardown(() => rm(buildDir, {recursive: true, force: true}));
	await installBeam(await compileGenerated('sandbox_hello', 1, buildDir), ebin);
	await cli.waitForLine('stderr', text => text.includes('"event":"batch"') && text.includes('sandbox_hello'));
	const batch = cli.records().find(record => record.event === 'batch');
	t.deepEqual(batch?.notLoaded, ['sandbox_hello']);

	// Save to live: a module saved in the sandbox's src is compiled into its ebin and goes through a batch.
	await writeFile(join(sources, 'sandbox_live.erl'), '-module(sandbox_live).\n-export([version/0]).\nversion() -> 1.\n');
	await cli.waitForLine('stderr', text => text.includes('"event":"batch"') && text.includes('sandbox_live'));
	t.like(cli.records().find(record => record.event === 'compile'), {ok: true, compiled: ['sandbox_live']});
	t.true((await stat(join(ebin, 'sandbox_live.beam'))).isFile());

	// The --module source's own directory is watched: a save there is compiled and updates the running module.
	await writeFile(devSource, (await readFile(devSource, 'utf8')).replace('{max_items, 100}', '{max_items, 200}'));
	await cli.waitForLine('stderr', text => text.includes('"event":"batch"') && text.includes('mod_reloader_sql'));
	t.deepEqual(cli.records().filter(record => record.event === 'batch').find(record => JSON.stringify(record).includes('mod_reloader_sql'))?.updated, ['mod_reloader_sql']);

	cli.child.kill('SIGINT');
	t.is(await cli.exited, 0);
	t.true(cli.stdoutLines.some(text => text.startsWith('Stopped ')));
	// The node's whole directory (the ebin's grandparent's parent) is gone.
	const nodeDir = dirname(dirname(dirname(ebin)));
	await t.throwsAsync(stat(nodeDir), {code: 'ENOENT'});
});

test('sandbox --module with a source file that does not compile exits 2 with its file:line:col, before starting anything', async t => {
	const {code, stdout, stderr} = await runCli(['sandbox', '--module', join(process.cwd(), 'fixtures', 'sources', 'gen_mod_sql_syntax_error', 'mod_reloader_sql.erl')]);
	t.is(code, 2, stderr);
	t.regex(stderr, /Invalid --module:\n {2}- .*mod_reloader_sql\.erl does not compile:\n {6}.*mod_reloader_sql\.erl:57:75: /);
	t.notRegex(stdout, /Starting a throwaway/);
});

test('sandbox --module refuses a name that is not a module name, before starting anything (exit 2)', async t => {
	const {code, stdout, stderr} = await runCli(['sandbox', '--module', 'mod_ok', '--module', 'mod-bad; rm']);
	t.is(code, 2, stderr);
	t.regex(stderr, /Invalid --module:\n {2}- module name must match .*got `"mod-bad; rm"` \(string\)/);
	t.notRegex(stdout, /Starting a throwaway/);
});
