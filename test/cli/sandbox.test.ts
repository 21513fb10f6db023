import {mkdtemp, rm, stat} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {dirname, join} from 'node:path';
import test from 'ava';
import {findFreePort} from '../../daemon/sandbox/free-port.ts';
import {CliProcess} from '../support/cli.ts';
import {compileGenerated, installBeam} from '../support/fixtures.ts';

test('sandbox starts a node with the daemon attached, reloads into it, and cleans up on Ctrl-C', async t => {
	const cli = new CliProcess(['sandbox', '--log-format', 'json', '--api-listen', `127.0.0.1:${await findFreePort()}`]);
	t.teardown(() => cli.kill());
	const line = await cli.waitForLine('stdout', text => text.startsWith('Install beams into: '), 120_000);
	const ebin = line.slice('Install beams into: '.length).trim();
	t.true((await stat(ebin)).isDirectory());

	const buildDir = await mkdtemp(join(tmpdir(), 'reloader-build-'));
	t.teardown(() => rm(buildDir, {recursive: true, force: true}));
	await installBeam(await compileGenerated('sandbox_hello', 1, buildDir), ebin);
	await cli.waitForLine('stderr', text => text.includes('"event":"batch"') && text.includes('sandbox_hello'));
	const batch = cli.records().find(record => record.event === 'batch');
	t.deepEqual(batch?.notLoaded, ['sandbox_hello']);

	cli.child.kill('SIGINT');
	t.is(await cli.exited, 0);
	t.true(cli.stdoutLines.some(text => text.startsWith('Stopped ')));
	// The node's whole directory (the ebin's grandparent's parent) is gone.
	const nodeDir = dirname(dirname(dirname(ebin)));
	await t.throwsAsync(stat(nodeDir), {code: 'ENOENT'});
});
