import {execFile} from 'node:child_process';
import {chmod, mkdir, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {dirname, join} from 'node:path';
import {promisify} from 'node:util';
import type {ExecutionContext, TestFn} from 'ava';
import {resolveApiAccess} from '../../daemon/api/api-access.ts';
import {startApiServer} from '../../daemon/api/api-server.ts';
import {resolveConfig} from '../../daemon/config/resolve-config.ts';
import type {UserConfig} from '../../daemon/config/schema.ts';
import type {Daemon} from '../../daemon/daemon.ts';
import {levelOf, summarize} from '../../daemon/log/format-record.ts';
import {RecordBus} from '../../daemon/record-bus.ts';
import type {DaemonRecord} from '../../daemon/records.ts';
import type {BatchRecord, KilledRecord} from '../../daemon/reloader/batch-record.ts';
import {findFreePort} from '../../daemon/sandbox/free-port.ts';
import type {SandboxNode} from '../../daemon/sandbox/sandbox-node.ts';
import {nodeCall, useSandboxNode, type TestNodeOptions} from './ejabberd.ts';
import {compileGenerated, compileLooping, installBeam} from './fixtures.ts';
import {openDaemon} from './open-daemon.ts';
import {RecordCollector, batchWith, isBatch, isInit} from './record-collector.ts';

const KEPT_VSN_TEMPLATE = new URL('../../fixtures/modules/kept-vsn.erl.template', import.meta.url);
const isKilled = (record: DaemonRecord): record is KilledRecord => record.event === 'killed';

/**
 * What a reload tells, against a real node of one ejabberd version (23.01 on
 * OTP 25, 24.12 on OTP 27 in its root): the node's versions, processes killed
 * by a brutal purge (named), `unpurged` asked after the load, soft purge held
 * then failed after its timeout then forced through the API, `outOfReach` not
 * ok, a kept `-vsn` failed over ctl and http.
 */
export function defineTruthSuite(test: TestFn, nodeOptions: TestNodeOptions & {readonly ejabberd: '23.01' | '24.12'}): void {
	const getNode = useSandboxNode(test, nodeOptions);
	const release = nodeOptions.ejabberd;
	const otp = release === '23.01' ? '25' : '27';
	let buildDir = '';
	let contribEbin = '';

	// One mapping for the sandbox's whole directory: ebin and the contrib ebin beside it (24.12 sees them elsewhere).
	const paths = (node: SandboxNode): UserConfig => {
		const nodeDir = node.nodeEbinDir.slice(0, node.nodeEbinDir.length - (node.hostEbinDir.length - node.dir.length));
		return nodeDir === node.dir ? {} : {paths: [{local: node.dir, node: nodeDir}]};
	};
	const dist = (node: SandboxNode): UserConfig => ({transport: 'dist', node: node.node, cookieFile: node.cookieFile, ...paths(node)});
	const ctl = (node: SandboxNode): UserConfig => ({transport: 'ctl', node: node.node, ctl: {command: [...node.ctlCommand]}});
	const http = (node: SandboxNode): UserConfig => ({transport: 'http', node: node.node, http: {url: `http://${release === '24.12' ? 'localhost' : '127.0.0.1'}:${node.ports.http}/api`}});
	const nodeSide = (node: SandboxNode, hostPath: string) => (paths(node).paths?.[0] === undefined ? hostPath : hostPath.replace(node.dir, paths(node).paths?.[0]?.node ?? node.dir));

	test.serial.before(async () => {
		const node = getNode();
		buildDir = await mkdtemp(join(tmpdir(), 'reloader-truth-'));
		await chmod(buildDir, 0o755);
		contribEbin = join(dirname(dirname(node.hostEbinDir)), 'contrib_truth', 'ebin');
		await mkdir(contribEbin, {recursive: true, mode: 0o755});
		await chmod(dirname(contribEbin), 0o755);
		await nodeCall(node, `code:add_patha("${nodeSide(node, contribEbin)}")`);
	});

	test.after.always(async () => {
		if (buildDir !== '') {
			await rm(buildDir, {recursive: true, force: true});
		}
	});

	const build = async (compile: typeof compileGenerated, module: string, version: number): Promise<string> => {
		const dir = join(buildDir, `${module}-${version}-${Math.random().toString(16).slice(2)}`);
		await mkdir(dir, {mode: 0o755});
		return compile(module, version, dir);
	};
	const compileKeptVsn = async (module: string, version: number, outDir: string): Promise<string> => {
		const source = join(outDir, `${module}.erl`);
		await writeFile(source, (await readFile(KEPT_VSN_TEMPLATE, 'utf8')).replaceAll('{{module}}', module).replaceAll('{{version}}', String(version)));
		await promisify(execFile)('/usr/bin/erlc', ['-o', outDir, source]);
		return join(outDir, `${module}.beam`);
	};

	async function startDaemon(t: ExecutionContext, records: RecordCollector, config: UserConfig, withApi = false): Promise<{daemon: Daemon; apiUrl: string}> {
		const node = getNode();
		const resolved = resolveConfig({debounceMs: 200, maxWaitMs: 2000, ...config, watch: [node.hostEbinDir, contribEbin], ...(withApi ? {api: {listen: `127.0.0.1:${await findFreePort()}`}} : {})});
		const bus = new RecordBus();
		bus.subscribe(records.report);
		const daemon = await openDaemon(resolved, bus.publish);
		t.teardown(() => daemon.close('test done'));
		await daemon.start();
		if (!withApi) {
			return {daemon, apiUrl: ''};
		}
		const access = await resolveApiAccess(resolved.api, () => undefined);
		if (access === undefined) {
			throw new Error('the API is enabled in this config');
		}
		const api = await startApiServer({access, daemon, records: bus, report: bus.publish, version: 'test'});
		t.teardown(() => api.close());
		return {daemon, apiUrl: api.url};
	}

	/** v1 installed and its loop started, the daemon started, then v2: updated, and the loop now runs old code. */
	async function firstUpdate(t: ExecutionContext, module: string, config: UserConfig, withApi = false) {
		const node = getNode();
		await installBeam(await build(compileLooping, module, 1), node.hostEbinDir);
		await nodeCall(node, `${module}:start()`);
		const records = new RecordCollector();
		const {apiUrl} = await startDaemon(t, records, config, withApi);
		const since = records.mark();
		await installBeam(await build(compileLooping, module, 2), node.hostEbinDir);
		const batch = await records.waitFor(batchWith(module), {since, what: `first update of ${module}`});
		t.deepEqual(batch.updated, [module]);
		t.deepEqual(batch.killed, []);
		// What OTP calls unpurged: the loop still runs the old code, and the next reload will kill it.
		t.is(batch.unpurged?.length, 1, JSON.stringify(batch.unpurged));
		t.is(batch.unpurged?.[0]?.module, module);
		t.is(batch.unpurged?.[0]?.processes[0]?.name, module);
		t.regex(summarize(batch), new RegExp(`unpurged=\\[${module}: ${module} <`));
		return {records, apiUrl};
	}

	test.serial(`${release} dist: the init record names the node's ejabberd and OTP releases`, async t => {
		const records = new RecordCollector();
		await startDaemon(t, records, dist(getNode()));
		const init = await records.waitFor(isInit, {what: 'init record'});
		t.true(init.versions.ejabberd?.startsWith(release), JSON.stringify(init.versions));
		t.is(init.versions.otp, otp);
		t.regex(summarize(init), new RegExp(`\\(ejabberd ${release.replace('.', '\\.')}\\S*, OTP ${otp}\\)`));
	});

	test.serial(`${release} ctl and http: the init record names ejabberd's release (status); OTP cannot be known`, async t => {
		for (const config of [ctl(getNode()), http(getNode())]) {
			const records = new RecordCollector();
			await startDaemon(t, records, config);
			const init = await records.waitFor(isInit, {what: 'init record'});
			t.true(init.versions.ejabberd?.startsWith(release), `${config.transport}: ${JSON.stringify(init.versions)}`);
			t.is(init.versions.otp, undefined);
		}
	});

	test.serial(`${release} dist, purge brutal: the second reload kills the looping process, and a warning of its own names it`, async t => {
		const node = getNode();
		const {records} = await firstUpdate(t, 'truth_brutal', {...dist(node), purge: 'brutal'});
		const since = records.mark();
		await installBeam(await build(compileLooping, 'truth_brutal', 3), node.hostEbinDir);
		const batch = await records.waitFor(batchWith('truth_brutal'), {since, what: 'second update'});
		t.deepEqual(batch.updated, ['truth_brutal']);
		t.is(batch.killed[0]?.processes[0]?.name, 'truth_brutal');
		t.deepEqual(batch.unpurged, [], 'nothing runs the v2 code that is old now');
		const killed = await records.waitFor(isKilled, {since, what: 'killed record'});
		t.is(killed.module, 'truth_brutal');
		t.is(killed.batch, batch.id);
		t.is(levelOf(killed), 'warn');
		t.regex(summarize(killed), /updating truth_brutal .* KILLED 1 process\(es\) .*: truth_brutal </);
		t.is(await nodeCall(node, 'whereis(truth_brutal)'), 'undefined');
		t.is(await nodeCall(node, 'truth_brutal:version()'), '3');
	});

	test.serial(`${release} dist, purge soft: held back, retried (labelled), failed after purgeSoftTimeoutMs with its holder, then forced through the API`, async t => {
		const node = getNode();
		const {records, apiUrl} = await firstUpdate(t, 'truth_soft', {...dist(node), purge: 'soft', purgeRetryMs: 300, purgeSoftTimeoutMs: 1500}, true);
		const since = records.mark();
		await installBeam(await build(compileLooping, 'truth_soft', 3), node.hostEbinDir);
		const held = await records.waitFor(batchWith('truth_soft'), {since, what: 'held-back batch'});
		t.deepEqual(held.heldBack, ['truth_soft']);
		t.is(held.holders[0]?.processes[0]?.name, 'truth_soft');
		t.regex(held.hint ?? '', /"purge": "brutal"/);
		const retry = await records.waitFor((record): record is BatchRecord => isBatch(record) && record.retried.includes('truth_soft'), {since, what: 'a retry'});
		t.true(retry.id > held.id);
		const failed = await records.waitFor((record): record is BatchRecord => isBatch(record) && record.failed.some(({module}) => module === 'truth_soft'), {since, what: 'the timed-out batch'});
		const failure = failed.failed.find(({module}) => module === 'truth_soft');
		t.false(failed.ok);
		t.is(failure?.holders?.[0]?.name, 'truth_soft');
		t.regex(failure?.reason ?? '', /purgeSoftTimeoutMs.*truth_soft </);
		t.regex(failure?.hint ?? '', /"purge": "brutal"/);
		t.regex(summarize(failed), /failed=\[truth_soft \(held back for/);
		t.is(await nodeCall(node, 'truth_soft:version()'), '2');
		t.is(await nodeCall(node, 'is_process_alive(whereis(truth_soft))'), 'true', 'nobody was killed');

		const response = await fetch(`${apiUrl}/update-modules`, {method: 'POST', headers: {'Content-Type': 'application/json'}, body: JSON.stringify({modules: ['truth_soft'], purge: 'brutal'})});
		const answer = await response.json() as {updated: string[]; purge: string; killed: Array<{module: string; processes: Array<{name?: string}>}>};
		t.is(response.status, 200, JSON.stringify(answer));
		t.deepEqual(answer.updated, ['truth_soft']);
		t.is(answer.purge, 'brutal');
		t.is(answer.killed[0]?.processes[0]?.name, 'truth_soft');
		t.is(await nodeCall(node, 'truth_soft:version()'), '3');
		t.is(await nodeCall(node, 'whereis(truth_soft)'), 'undefined');
	});

	test.serial(`${release} ctl: unpurged cannot be known (null), and a changed beam out of update_info's reach is not ok, with a hint naming dist`, async t => {
		const node = getNode();
		await installBeam(await build(compileGenerated, 'truth_contrib', 1), contribEbin);
		await nodeCall(node, 'code:ensure_loaded(truth_contrib)');
		await installBeam(await build(compileGenerated, 'truth_ctl', 1), node.hostEbinDir);
		await nodeCall(node, 'code:ensure_loaded(truth_ctl)');
		const records = new RecordCollector();
		await startDaemon(t, records, ctl(node));

		let since = records.mark();
		await installBeam(await build(compileGenerated, 'truth_ctl', 2), node.hostEbinDir);
		// Verified by the list, a batch during which install's last write (its chmod) arrived defers the module (re-checked): the next one says.
		const updated = await records.waitFor(batchWith('truth_ctl', {settled: true}), {since, what: 'batch that settled truth_ctl'});
		t.deepEqual(updated.updated, ['truth_ctl']);
		t.is(updated.unpurged, null);

		since = records.mark();
		await installBeam(await build(compileGenerated, 'truth_contrib', 2), contribEbin);
		const batch = await records.waitFor(batchWith('truth_contrib'), {since, what: 'batch with truth_contrib'});
		t.deepEqual(batch.outOfReach, ['truth_contrib']);
		t.false(batch.ok);
		t.is(levelOf(batch), 'warn');
		t.regex(batch.hint ?? '', /NOT loaded: truth_contrib .*transport: dist/);
		t.is(await nodeCall(node, 'truth_contrib:version()'), '1');
	});

	for (const [kind, config] of [['ctl', ctl], ['http', http]] as const) {
		test.serial(`${release} ${kind}: a kept -vsn over changed code is failed, with the hint`, async t => {
			const node = getNode();
			const module = `truth_vsn_${kind}`;
			await installBeam(await build(compileKeptVsn, module, 1), node.hostEbinDir);
			await nodeCall(node, `code:ensure_loaded(${module})`);
			const records = new RecordCollector();
			await startDaemon(t, records, config(node));
			const since = records.mark();
			await installBeam(await build(compileKeptVsn, module, 2), node.hostEbinDir);
			// A failure while install's last write arrived is deferred and re-checked: the batch that settles it says.
			const batch = await records.waitFor(batchWith(module, {settled: true}), {since, what: `batch that settled ${module}`});
			t.false(batch.ok);
			t.deepEqual(batch.failed.map(({module: failed}) => failed), [module]);
			t.regex(batch.failed[0]?.reason ?? '', /-vsn did not/);
			t.regex(batch.failed[0]?.hint ?? '', /Change or remove the -vsn/);
			t.regex(summarize(batch), new RegExp(`failed=\\[${module} \\(its code changed`));
			t.is(await nodeCall(node, `${module}:version()`), '1', 'ejabberd kept the old code');
		});
	}
}
