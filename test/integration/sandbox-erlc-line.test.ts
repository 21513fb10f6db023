import {execFile} from 'node:child_process';
import {access} from 'node:fs/promises';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {promisify} from 'node:util';
import test from 'ava';
import {findFreePort} from '../../daemon/sandbox/free-port.ts';
import {CliProcess} from '../support/cli.ts';

// From source, as fd-limit.test.ts runs it: the line and the sandbox's deps/ under test are this checkout's.
const MAIN = fileURLToPath(new URL('../../daemon/cli/main.ts', import.meta.url));
/** A gen_mod module that needs what a contrib module needs: ejabberd's includes, `xmpp` by that name, gen_mod and the SQL parse transform. */
const GEN_MOD_SQL = fileURLToPath(new URL('../../fixtures/sources/gen_mod_sql/', import.meta.url));
const EXAMPLE_MODULE = 'mod_hello.erl';

test('the erlc line the sandbox banner prints compiles a gen_mod module into its ebin, without a warning', async t => {
	const cli = new CliProcess(['sandbox', '--log-format', 'json', '--api-listen', `127.0.0.1:${await findFreePort()}`], [process.execPath, '--import=tsx', MAIN]);
	t.teardown(() => cli.kill());
	await cli.waitForLine('stdout', line => line.startsWith('Press Ctrl-C'), 180_000);
	const line = await cli.waitForLine('stdout', text => text.trimStart().startsWith('e.g. ERL_LIBS='));

	// The line as printed, the module's file name aside: `ERL_LIBS=<deps> erlc <args...> mod_hello.erl`.
	const [assignment = '', command = '', ...args] = line.trim().slice('e.g. '.length).split(' ');
	t.is(command, 'erlc');
	t.is(args.at(-1), EXAMPLE_MODULE);
	const [variable, value = ''] = assignment.split('=');
	t.is(variable, 'ERL_LIBS');
	const {stdout, stderr} = await promisify(execFile)(command, [...args.slice(0, -1), 'mod_reloader_sql.erl'], {cwd: GEN_MOD_SQL, env: {...process.env, ERL_LIBS: value}});
	t.is(stdout + stderr, '', 'erlc printed a warning');
	const ebin = args[args.indexOf('-o') + 1] ?? '';
	await t.notThrowsAsync(access(join(ebin, 'mod_reloader_sql.beam')));

	cli.child.kill('SIGINT');
	t.is(await cli.exited, 0);
});
