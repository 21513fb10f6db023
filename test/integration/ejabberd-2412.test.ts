import {mkdtemp, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {performance} from 'node:perf_hooks';
import test, {type ExecutionContext} from 'ava';
import type {SandboxNode} from '../../daemon/sandbox/sandbox-node.ts';
import {DistTransport} from '../../daemon/transports/distribution/index.ts';
import {nodeCall, runCtl, startTestNode} from '../support/ejabberd.ts';
import {compileGenerated, installBeam} from '../support/fixtures.ts';

// Smoke test of the 24.12 harness: a node chrooted into the Debian 13 root,
// its ebin at another path for the node than for us, driven by the daemon's
// dist transport, ejabberdctl and mod_http_api. It also pins the 24.12 answers
// of `update` that differ from 23.01's (DESIGN.md).

let started: SandboxNode | undefined;
test.serial.before(async t => {
	const start = performance.now();
	started = await startTestNode({ejabberd: '24.12'});
	t.log(`24.12 node ${started.node} started in ${(performance.now() - start).toFixed(0)} ms`);
});
test.after.always(async () => {
	await started?.stop();
});

function node(): SandboxNode {
	if (started === undefined) {
		throw new Error('The 24.12 node is not running: its test.before hook failed');
	}
	return started;
}

function distTransport(t: ExecutionContext): DistTransport {
	const transport = new DistTransport({node: node().node, cookieFile: node().cookieFile, connectTimeoutMs: 10_000, callTimeoutMs: 30_000});
	t.teardown(() => transport.close());
	return transport;
}

async function buildDir(t: ExecutionContext): Promise<string> {
	const dir = await mkdtemp(join(tmpdir(), 'reloader-2412-'));
	t.teardown(() => rm(dir, {recursive: true, force: true}));
	return dir;
}

/** Compile v1 and v2 of generated modules with the host's erlc (OTP 25); v1 installed and loaded. */
async function loadV1(t: ExecutionContext, modules: readonly string[]): Promise<Map<string, string>> {
	const [v1, v2] = await Promise.all([buildDir(t), buildDir(t)]);
	const second = new Map<string, string>();
	for (const module of modules) {
		await installBeam(await compileGenerated(module, 1, v1), node().hostEbinDir);
		second.set(module, await compileGenerated(module, 2, v2));
	}
	t.is(await nodeCall(node(), `[code:ensure_loaded(M) || M <- [${modules.join(', ')}]]`), `[${modules.map(module => `{module, ${module}}`).join(', ')}]`);
	return second;
}

// Serial and first: anything that calls into ejabberd_update loads it.
test.serial('a 24.12 node on OTP 27 runs from the root, with its ebin at another path for the node than for the host', async t => {
	const {version, root, hostEbinDir, nodeEbinDir, cookieFile} = node();
	t.regex(version, /^24\.12/);
	t.truthy(root);
	t.is(hostEbinDir, join(root ?? '', nodeEbinDir));
	t.true(cookieFile.startsWith(`${root}/`));
	t.is(await nodeCall(node(), 'code:is_loaded(ejabberd_update)'), 'false');
	t.is(await nodeCall(node(), 'erlang:system_info(otp_release)'), '"27"');
	t.is(await nodeCall(node(), 'code:which(ejabberd)'), `"${nodeEbinDir}/ejabberd.beam"`);
	const status = await runCtl(node(), 'status');
	t.is(status.code, 0, status.stderr);
	t.regex(status.stdout, /ejabberd 24\.12\S* is running in that node/);
});

test.serial('the dist transport connects, finds ejabberd_update not loaded, loads it and reads update_info with the node\'s path', async t => {
	const transport = distTransport(t);
	t.like(await transport.ensureUpdaterLoaded(), {wasLoaded: false, method: 'code:ensure_loaded'});
	t.is(await nodeCall(node(), 'code:is_loaded(ejabberd_update)'), `{file, "${node().nodeEbinDir}/ejabberd_update.beam"}`);
	const info = await transport.updateInfo();
	t.is(info.dir, node().nodeEbinDir);
	t.deepEqual(info.modules, []);
	t.is(await transport.codeDirectory(), node().nodeEbinDir);
});

test.serial('ejabberd_update:update/1 answers {ok, UpdatedModules} (24.10 and later), not release_handler\'s unpurged list', async t => {
	const transport = distTransport(t);
	const v2 = await loadV1(t, ['smoke_dist']);
	await installBeam(v2.get('smoke_dist') ?? '', node().hostEbinDir);
	t.deepEqual((await transport.updateInfo()).modules, ['smoke_dist']);
	const first = await transport.update(['smoke_dist']);
	t.log(`update([smoke_dist]) with a change: ${first.raw}`);
	t.regex(first.raw, /^\{ok, ?\[smoke_dist\]\}$/);
	t.is(await nodeCall(node(), 'smoke_dist:version()'), '2');
	const again = await transport.update(['smoke_dist']);
	t.log(`update([smoke_dist]) again: ${again.raw}`);
	t.regex(again.raw, /^\{ok, ?\[\]\}$/);
});

test.serial('ejabberdctl update prints Updated:/Not updated: and update all lists the modules (24.12 output)', async t => {
	const v2 = await loadV1(t, ['smoke_ctl_a', 'smoke_ctl_b', 'smoke_ctl_c']);
	await installBeam(v2.get('smoke_ctl_a') ?? '', node().hostEbinDir);
	const outputs: Array<[string, string]> = [];
	const ctl = async (...command: string[]) => {
		const result = await runCtl(node(), ...command);
		t.is(result.code, 0, `${command.join(' ')}: ${result.stdout}${result.stderr}`);
		outputs.push([command.join(' '), result.stdout]);
		return result.stdout;
	};
	t.is(await ctl('update', 'smoke_ctl_a'), 'Updated: smoke_ctl_a\n');
	t.is(await ctl('update', 'smoke_ctl_a'), 'Not updated: smoke_ctl_a\n');
	t.is(await ctl('update', 'smoke_no_such_module'), 'Not updated: smoke_no_such_module\n');
	await installBeam(v2.get('smoke_ctl_b') ?? '', node().hostEbinDir);
	await installBeam(v2.get('smoke_ctl_c') ?? '', node().hostEbinDir);
	t.is(await ctl('update', 'all'), 'Updated modules: smoke_ctl_b, smoke_ctl_c\n');
	t.is(await ctl('update', 'all'), 'No modules updated\n');
	t.log(outputs.map(([command, stdout]) => `ejabberdctl ${command} -> ${JSON.stringify(stdout)}`).join('\n'));
});

test.serial('mod_http_api answers update with the same strings', async t => {
	const v2 = await loadV1(t, ['smoke_http_a', 'smoke_http_b']);
	const update = async (module: string) => {
		const response = await globalThis.fetch(`http://127.0.0.1:${node().ports.http}/api/update`, {method: 'POST', body: JSON.stringify({module})});
		const body = await response.text();
		t.log(`POST /api/update {"module":"${module}"} -> ${response.status} ${body}`);
		t.is(response.status, 200);
		return body;
	};
	await installBeam(v2.get('smoke_http_a') ?? '', node().hostEbinDir);
	t.is(await update('smoke_http_a'), '"Updated: smoke_http_a"');
	t.is(await update('smoke_http_a'), '"Not updated: smoke_http_a"');
	await installBeam(v2.get('smoke_http_b') ?? '', node().hostEbinDir);
	t.is(await update('all'), '"Updated modules: smoke_http_b"');
	t.is(await update('all'), '"No modules updated"');
});
