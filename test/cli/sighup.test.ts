import {mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import test from 'ava';
import {stringify} from 'yaml';
import {findFreePort} from '../../daemon/sandbox/free-port.ts';
import {CliProcess} from '../support/cli.ts';
import {nodeCall, useSandboxNode} from '../support/ejabberd.ts';
import {compileGenerated, installBeam} from '../support/fixtures.ts';
import {waitUntil} from '../support/wait.ts';

const getNode = useSandboxNode(test);

test('SIGHUP: a bad new config is refused and the old one kept; a good one applies; a beam written meanwhile is not lost', async t => {
	const node = getNode();
	const dir = await mkdtemp(join(tmpdir(), 'reloader-sighup-'));
	t.teardown(() => rm(dir, {recursive: true, force: true}));
	const configFile = join(dir, 'config.yml');
	const base = {transport: 'dist', node: node.node, cookieFile: node.cookieFile, watch: [node.ebinDir], api: {listen: `127.0.0.1:${await findFreePort()}`}, log: {format: 'json'}};
	await writeFile(configFile, stringify({...base, debounceMs: 300}));
	const install = async (module: string, version: number) => {
		const buildDir = await mkdtemp(join(dir, `${module}-`));
		return installBeam(await compileGenerated(module, version, buildDir), node.ebinDir);
	};
	await install('hup_a', 1);
	await install('hup_b', 1);
	await install('hup_c', 1);
	await nodeCall(node, '[code:ensure_loaded(M) || M <- [hup_a, hup_b, hup_c]]');

	const cli = new CliProcess(['run', '--config', configFile]);
	t.teardown(() => cli.kill());
	await cli.waitForLine('stderr', line => line.includes('"event":"api"'));
	const count = (event: string) => cli.records().filter(record => record.event === event).length;

	// A bad config: refused with its problems listed, the daemon goes on as it was.
	await writeFile(configFile, stringify({...base, debounceMs: -1, transport: 'pigeon'}));
	cli.child.kill('SIGHUP');
	const refused = await cli.waitForLine('stderr', line => line.includes('SIGHUP: the new configuration was refused'));
	t.regex(refused, /debounceMs/);
	t.regex(refused, /transport/);
	t.is(count('start'), 1);
	await install('hup_a', 2);
	await cli.waitForLine('stderr', line => line.includes('"event":"batch"') && line.includes('hup_a'));
	t.is(await nodeCall(node, 'hup_a:version()'), '2');

	// A good config replaces the daemon; a beam written right after the signal is applied either way.
	await writeFile(configFile, stringify({...base, debounceMs: 150}));
	cli.child.kill('SIGHUP');
	await install('hup_b', 2);
	await waitUntil(() => count('start') === 2, 'the daemon restarted with the new config');
	const start = cli.records().filter(record => record.event === 'start')[1];
	t.is(start?.debounceMs, 150);
	await waitUntil(async () => (await nodeCall(node, 'hup_b:version()')) === '2', 'hup_b, written during the swap, is updated');

	await install('hup_c', 2);
	await waitUntil(async () => (await nodeCall(node, 'hup_c:version()')) === '2', 'the new daemon reloads');
	cli.child.kill('SIGTERM');
	t.is(await cli.exited, 0);
});
