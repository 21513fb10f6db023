import {createServer} from 'node:net';
import {mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises';
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

interface Refusal {
	readonly name: string;
	/** What changes in the config file. */
	readonly change: (base: Record<string, unknown>, dir: string, busyPort: number) => Record<string, unknown>;
	/** What the refusal must say. */
	readonly reason: RegExp;
}

/** Each would have killed the service before: each must now leave it running, reloading code as before. */
const refusals: readonly Refusal[] = [
	// A watch directory that does not exist yet is only a warning (watched once it appears); a regular file in its place is refused.
	{name: 'a watch path that is a regular file', change: (base, dir) => ({...base, watch: [join(dir, 'config.yml')]}), reason: /watch\[0\]: .*config\.yml is not a directory/},
	{name: 'an unreadable cookie file', change: (base, dir) => ({...base, cookieFile: join(dir, 'no-such-cookie')}), reason: /cookie/i},
	{name: 'an API address in use', change: (base, _dir, busyPort) => ({...base, api: {listen: `127.0.0.1:${busyPort}`}}), reason: /api\.listen|in use|EADDRINUSE/i},
	{name: 'a node name that does not resolve', change: base => ({...base, node: 'nobody@no-such-host.invalid'}), reason: /no-such-host\.invalid.*does not resolve/},
	{name: 'a schema error', change: base => ({...base, debounceMs: -1, transport: 'pigeon'}), reason: /debounceMs[\s\S]*transport|transport[\s\S]*debounceMs/},
];

test('SIGHUP reconfigures: every bad configuration is refused with its reasons, the old pipeline keeps reloading code; a good one swaps and batch ids go on', async t => {
	t.timeout(300_000);
	const node = getNode();
	const dir = await mkdtemp(join(tmpdir(), 'reloader-sighup-'));
	t.teardown(() => rm(dir, {recursive: true, force: true}));
	const busy = createServer();
	await new Promise<void>(resolve => busy.listen({host: '127.0.0.1', port: 0}, resolve));
	t.teardown(() => busy.close());
	const busyPort = (busy.address() as {port: number}).port;

	const configFile = join(dir, 'config.yml');
	const apiPort = await findFreePort();
	const base = {transport: 'dist', node: node.node, cookieFile: node.cookieFile, watch: [node.ebinDir], api: {listen: `127.0.0.1:${apiPort}`}, log: {format: 'json'}, debounceMs: 200};
	await writeFile(configFile, stringify(base));
	let version = 0;
	const install = async (module: string) => {
		version++;
		const buildDir = join(dir, `build-${version}`);
		await mkdir(buildDir);
		await installBeam(await compileGenerated(module, version, buildDir), node.ebinDir);
		return version;
	};
	await install('hup_a');
	await nodeCall(node, 'code:ensure_loaded(hup_a)');

	const cli = new CliProcess(['run', '--config', configFile]);
	t.teardown(() => cli.kill());
	try {
		await exercise();
	} catch (error) {
		t.log(`the daemon's log:\n${cli.stderrLines.join('\n')}`);
		throw error;
	}

	async function exercise(): Promise<void> {
	await cli.waitForLine('stderr', line => line.includes('"event":"api"'));
	const records = (event: string) => cli.records().filter(record => record.event === event);
	const batchIds = () => records('batch').map(record => record.id as number);
	const reloaded = async (what: string) => {
		const expected = await install('hup_a');
		await waitUntil(async () => (await nodeCall(node, 'hup_a:version()')) === String(expected), what);
	};

	for (const [position, refusal] of refusals.entries()) {
		await writeFile(configFile, stringify(refusal.change(base, dir, busyPort)));
		cli.child.kill('SIGHUP');
		await waitUntil(() => records('reconfigure').length === position + 1, `the reconfiguration with ${refusal.name} is answered`);
		const answer = records('reconfigure')[position];
		t.is(answer?.outcome, 'refused', refusal.name);
		t.regex((answer?.reasons as string[]).join('\n'), refusal.reason, refusal.name);
		t.true(cli.records().some(record => record.event === 'error' && record.level === 'error' && String(record.message).startsWith('SIGHUP: the new configuration was refused')), `${refusal.name}: logged at error level`);
		t.is(cli.child.exitCode, null, `${refusal.name}: the process stays up`);
		// The running pipeline is untouched: a reload of code still goes through.
		await reloaded(`hup_a is reloaded after refusing ${refusal.name}`);
		const status = await fetch(`http://127.0.0.1:${apiPort}/status`).then(async response => response.json()) as {lastReconfigure: {outcome: string; reasons: string[]}};
		t.is(status.lastReconfigure.outcome, 'refused', `${refusal.name}: /status says the reconfiguration was refused`);
	}
	t.is(records('start').length, 1, 'no refused reconfiguration restarted anything');
	t.is(cli.records().filter(record => record.event === 'reload').length, 0, 'no record calls a reconfiguration a reload');

	// A good configuration swaps in; a beam written right after the signal is applied either way.
	const idsBefore = batchIds();
	await writeFile(configFile, stringify({...base, debounceMs: 150}));
	cli.child.kill('SIGHUP');
	const expected = await install('hup_a');
	await waitUntil(() => records('reconfigure').some(record => record.outcome === 'applied'), 'the new configuration is applied');
	t.is(records('reconfigure').find(record => record.outcome === 'applied')?.debounceMs, 150);
	await waitUntil(async () => (await nodeCall(node, 'hup_a:version()')) === String(expected), 'hup_a, written during the swap, is updated');
	await reloaded('the new pipeline reloads');
	await waitUntil(() => batchIds().length > idsBefore.length, 'the new pipeline reported a batch');
	const ids = batchIds();
	t.deepEqual(ids, [...new Set(ids)].sort((a, b) => a - b), 'batch ids never repeat and keep rising across the reconfiguration');
	t.true(Math.min(...ids.slice(idsBefore.length)) > Math.max(...idsBefore), 'ids go on from where they were');

	cli.child.kill('SIGTERM');
	t.is(await cli.exited, 0);
	}
});
