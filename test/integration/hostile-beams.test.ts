import {execFile} from 'node:child_process';
import {readFileSync} from 'node:fs';
import {copyFile, mkdir, mkdtemp, rename, rm, symlink, truncate, unlink, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {dirname, join} from 'node:path';
import {promisify} from 'node:util';
import test from 'ava';
import {resolveConfig} from '../../daemon/config/resolve-config.ts';
import type {DaemonRecord} from '../../daemon/records.ts';
import {findFreePort} from '../../daemon/sandbox/free-port.ts';
import {createService, type Service} from '../../daemon/service/create-service.ts';
import {BeamSettler} from '../../daemon/watcher/beam-settler.ts';
import {nodeCall, useSandboxNode} from '../support/ejabberd.ts';
import {openDaemon} from '../support/open-daemon.ts';
import {compileGenerated, installBeam, installBeamTruncated} from '../support/fixtures.ts';
import {RecordCollector, batchWith, isBatch, isProblem} from '../support/record-collector.ts';
import {waitUntil} from '../support/wait.ts';

/**
 * Issue 9, pipeline side, against a real ejabberd 23.01 node and the whole
 * service (HTTP API included): entries named *.beam that are not beams (I),
 * hostile files (A), a beam of another module rewritten in a loop (J). Each
 * case installs a real change and asserts it is applied. Figures are logged.
 */
const getNode = useSandboxNode(test);
const records = new RecordCollector();
let service: Service | undefined;
let buildDir = '';
let apiBase = '';
const LOADED = ['gen_hostile_a', 'gen_race_main', 'gen_race_other'];
const atoms = {erlCallAlone: 0, beforeStart: 0, afterStart: 0};
/** The barrier's beam (a module the node never loaded): renamed in after what a case did; no case looks at what it comes to. */
const MARKER = 'gen_hostile_mark';
let markerBeam = '';

/*
 * How often the daemon's settler was asked to check the marker (a watcher
 * event, its trailing re-check, a look of the sweep). The service builds its
 * settler out of the test's reach, so the count is kept on the class; it
 * counts, and changes nothing.
 */
let markerChecks = 0;
const settlerCheck = Object.getOwnPropertyDescriptor(BeamSettler.prototype, 'check')?.value as BeamSettler['check'];
BeamSettler.prototype.check = function (this: BeamSettler, path: string): void {
	if (path.endsWith(`/${MARKER}.beam`)) {
		markerChecks++;
	}
	settlerCheck.call(this, path);
};

/**
 * Instead of a quiet period (as files.test.ts's Pipeline.barrier): resolves
 * once the daemon has moved past everything written so far. The marker is
 * renamed into the ebin (one event); the watcher reports it, then re-checks
 * it 200 ms after its last event, as it re-checks every path it reported,
 * all after the same delay, in order. Once the marker was checked twice and
 * nothing is unsettled, every earlier path's re-check and whatever chokidar
 * sent for it has reached the settler and been settled or reported. (A look
 * of the sweep in between may count as one of the two: the barrier then
 * comes early, which can hide a late duplicate, never fail a case.)
 */
async function barrier(): Promise<void> {
	const ebin = getNode().ebinDir;
	const seen = markerChecks;
	const staged = join(dirname(ebin), `${MARKER}-${Math.random().toString(36).slice(2)}.staged`);
	await copyFile(markerBeam, staged);
	await rename(staged, join(ebin, `${MARKER}.beam`));
	await waitUntil(() => markerChecks >= seen + 2 && service?.status().unsettledBeams === 0, 'the marker\'s write and its trailing re-check reached the settler, and nothing is unsettled');
}

const build = async (module: string, version: number) => {
	const dir = join(buildDir, `${module}-v${version}-${Math.random().toString(16).slice(2)}`);
	await mkdir(dir);
	return compileGenerated(module, version, dir);
};
const versionIn = async (module: string) => nodeCall(getNode(), `${module}:version()`);
const atomCount = async () => Number(await nodeCall(getNode(), 'erlang:system_info(atom_count)'));

function peakRssMb(): number {
	const status = readFileSync('/proc/self/status', 'utf8');
	return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

test.serial.before(async () => {
	const node = getNode();
	buildDir = await mkdtemp(join(tmpdir(), 'reloader-hostile-build-'));
	markerBeam = await build(MARKER, 1);
	for (const module of LOADED) {
		await installBeam(await build(module, 1), node.ebinDir);
	}
	await nodeCall(node, `[code:ensure_loaded(M) || M <- [${LOADED.join(',')}]]`);
	// I: entries named *.beam that are no beams, there before the daemon starts.
	await mkdir(join(node.ebinDir, 'qdir.beam'));
	await writeFile(join(node.ebinDir, 'junk.beam'), 'root:x:0:0:not a beam\n');
	await symlink(join(node.ebinDir, 'no-such-target'), join(node.ebinDir, 'gone.beam'));
	// The node's own scan makes atoms of those names; run it first, so what follows measures the daemon alone.
	await nodeCall(node, 'ejabberd_update:update_info()');
	const first = await atomCount();
	atoms.erlCallAlone = (await atomCount()) - first;
	atoms.beforeStart = await atomCount();
	const port = await findFreePort();
	apiBase = `http://127.0.0.1:${port}`;
	const config = resolveConfig({
		transport: 'dist', node: node.node, cookieFile: node.cookieFile, watch: [node.ebinDir],
		debounceMs: 200, maxWaitMs: 2000, incompleteTimeoutMs: 1000,
		api: {listen: `127.0.0.1:${port}`},
	});
	service = createService(config, {version: 'test', mode: 'daemon', createLogger: () => ({log: records.report, close: async () => undefined})});
	await service.start();
	await records.waitFor(record => record.event === 'watch', {what: 'watch record'});
	atoms.afterStart = await atomCount();
});

test.after.always(async () => {
	BeamSettler.prototype.check = settlerCheck;
	await service?.close('tests done');
	if (buildDir !== '') {
		await rm(buildDir, {recursive: true, force: true});
	}
});

test.serial('I: non-beam *.beam entries are one start warning naming them and the atom consequence; asking for one is 404; the daemon adds no atom of theirs', async t => {
	const warnings = records.records.filter(record => isProblem(record) && record.code === 'WARN_NOT_BEAMS');
	t.is(warnings.length, 1);
	const message = (warnings[0] as Extract<DaemonRecord, {event: 'error'}>).message;
	t.log(message);
	t.regex(message, /qdir\.beam" \(a directory\)/);
	t.regex(message, /junk\.beam" \(not a beam file: expected "FOR1" at offset 0, found 4 bytes: 72 6f 6f 74/);
	t.regex(message, /gone\.beam" \(a dangling symbolic link\)/);
	t.regex(message, /ejabberd_update's scan turns every \*\.beam file name into an atom on the node/);
	t.false(message.includes('root:'), 'no file content as text');
	const response = await fetch(`${apiBase}/update-modules`, {method: 'POST', headers: {'content-type': 'application/json'}, body: JSON.stringify(['qdir'])});
	t.is(response.status, 404);
	t.false(records.records.some(record => isBatch(record) && record.trigger === 'api'), 'no batch ran');
	const afterRequest = await atomCount();
	t.log(`atom_count: ${atoms.beforeStart} before start, ${atoms.afterStart} after start (each erl_call measuring adds ${atoms.erlCallAlone}), ${afterRequest} after POST ["qdir"]`);
	// The daemon's own connection may add its node name; the strays' names existed before (the node's own scan).
	t.true((atoms.afterStart ?? 0) - (atoms.beforeStart ?? 0) - (atoms.erlCallAlone ?? 0) <= 2, `the daemon added ${(atoms.afterStart ?? 0) - (atoms.beforeStart ?? 0) - (atoms.erlCallAlone ?? 0)} atoms at start`);
	t.is(afterRequest - (atoms.afterStart ?? 0) - (atoms.erlCallAlone ?? 0), 0, 'the 404 added no atom');
});

test.serial('A: /dev/zero, a 500 MB sparse beam, FIFOs, a directory and a dangling link are each reported once with their kind; memory stays bounded; a real change behind them is applied', async t => {
	const ebin = getNode().ebinDir;
	const since = records.mark();
	const created = new Map<string, number>();
	const note = (name: string) => created.set(join(ebin, name), performance.now());
	await symlink('/dev/zero', join(ebin, 'zzero.beam'));
	note('zzero.beam');
	const huge = join(ebin, 'huge.beam');
	const header = Buffer.alloc(12);
	header.write('FOR1', 0, 'latin1');
	header.writeUInt32BE(500 * 1024 * 1024 - 8, 4);
	header.write('BEAM', 8, 'latin1');
	await writeFile(huge, header);
	await truncate(huge, 500 * 1024 * 1024);
	note('huge.beam');
	for (const name of ['fifo1.beam', 'fifo2.beam', 'fifo3.beam', 'fifo4.beam']) {
		await promisify(execFile)('mkfifo', [join(ebin, name)]);
		note(name);
	}
	await mkdir(join(ebin, 'x.beam'));
	note('x.beam');
	await symlink('/nonexistent/target', join(ebin, 'dangling.beam'));
	note('dangling.beam');
	const expectations: Array<[string, RegExp]> = [
		['zzero.beam', /is a symbolic link to a character device, not a regular file/],
		['huge.beam', /declares 524288000 bytes \(500\.0 MiB\) in its beam header, more than maxBeamBytes/],
		['fifo1.beam', /is a FIFO, not a regular file/],
		['fifo2.beam', /is a FIFO, not a regular file/],
		['fifo3.beam', /is a FIFO, not a regular file/],
		['fifo4.beam', /is a FIFO, not a regular file/],
		['x.beam', /is a directory, not a regular file/],
		['dangling.beam', /is a dangling symbolic link, not a regular file/],
	];
	const reportedAt = new Map<string, number>();
	const rss: number[] = [];
	const sampler = setInterval(() => rss.push(peakRssMb()), 100);
	try {
		for (const [name, pattern] of expectations) {
			const path = join(ebin, name);
			const problem = await records.waitFor(record => isProblem(record) && record.path === path, {since, what: `a problem record for ${name}`, timeoutMs: 20_000});
			reportedAt.set(name, performance.now());
			t.regex((problem as Extract<DaemonRecord, {event: 'error'}>).message, pattern, name);
		}
		const beam = await build('gen_hostile_a', 2);
		await installBeam(beam, ebin);
		const batch = await records.waitFor(batchWith('gen_hostile_a'), {since, what: 'batch with gen_hostile_a'});
		t.deepEqual(batch.updated, ['gen_hostile_a']);
		t.is(await versionIn('gen_hostile_a'), '2');
		// Past every event of theirs, trailing re-checks included: a second report of any of them would be in by now.
		await barrier();
	} finally {
		clearInterval(sampler);
	}
	for (const [name] of expectations) {
		const path = join(ebin, name);
		t.is(records.after(since).filter(record => isProblem(record) && record.path === path).length, 1, `${name} reported once`);
	}
	const hazard = records.after(since).filter(record => isProblem(record) && record.code === 'WARN_SCAN_HAZARD');
	t.true(hazard.length >= 1, 'the scan hazard is warned about');
	t.log(hazard.map(record => (record as {message: string}).message).join('\n'));
	const peak = peakRssMb();
	t.log(`times to report: ${[...reportedAt].map(([name, at]) => `${name} ${((at - (created.get(join(ebin, name)) ?? at)) / 1000).toFixed(2)} s`).join(', ')}`);
	t.log(`peak RSS of the process running the daemon (VmHWM): ${peak.toFixed(0)} MB; sampled max during the case ${Math.max(...rss).toFixed(0)} MB`);
	t.true(peak < 300, `peak RSS ${peak} MB`);
	// A fresh init step (as after a reconnect) with them there: it does not run the node's scan either.
	const second = new RecordCollector();
	const other = await openDaemon(resolveConfig({transport: 'dist', node: getNode().node, cookieFile: getNode().cookieFile, watch: [ebin], api: {enabled: false}}), second.report);
	try {
		await other.start();
		const init = await second.waitFor(record => record.event === 'init', {what: 'the second init record'});
		t.deepEqual((init as {pending: readonly string[]}).pending, []);
		t.true(second.records.some(record => isProblem(record) && record.code === 'WARN_SCAN_HAZARD'));
	} finally {
		await other.close('second init checked');
	}
	const health = await fetch(`${apiBase}/healthz`);
	t.is(health.status, 200, 'nothing is stuck: every hostile entry was reported at once');
	for (const [name] of expectations) {
		await rm(join(ebin, name), {recursive: true, force: true});
	}
	t.is(await nodeCall(getNode(), 'erlang:memory(total) < 1000000000'), 'true', 'the node did not read the hostile entries');
});

test.serial('J: a beam of another module rewritten in a loop (truncated writes) does not fail the batch of a real change', async t => {
	const ebin = getNode().ebinDir;
	const [otherV1, otherV2, mainV2] = await Promise.all([build('gen_race_other', 1), build('gen_race_other', 2), build('gen_race_main', 2)]);
	const since = records.mark();
	let writing = true;
	let rewrites = 0;
	/*
	 * The writer: a truncated write left for a moment, then the whole beam,
	 * then a pause, round after round. The two pauses set its pace (a rewrite
	 * every ~150 ms, each half-written for ~30 ms, as a slow `make install`
	 * loop would); they stand for no event, and nothing asserted depends on
	 * them: the case counts rewrites, and waits for records.
	 */
	const loop = (async () => {
		for (let round = 0; writing; round++) {
			const beam = round % 2 === 0 ? otherV2 : otherV1;
			await installBeamTruncated(beam, ebin, 200);
			await new Promise(resolve => setTimeout(resolve, 30));
			await installBeam(beam, ebin);
			rewrites++;
			await new Promise(resolve => setTimeout(resolve, 120));
		}
	})();
	try {
		await waitUntil(() => rewrites >= 3, 'the writer rewrote gen_race_other three times');
		await installBeam(mainV2, ebin);
		const batch = await records.waitFor(record => batchWith('gen_race_main')(record) && (record as {updated: readonly string[]}).updated.includes('gen_race_main'), {since, what: 'gen_race_main updated', timeoutMs: 60_000});
		t.truthy(batch);
		t.is(await versionIn('gen_race_main'), '2');
		// The rewrites go on past the real change, so that later batches meet them too.
		const atUpdate = rewrites;
		await waitUntil(() => rewrites >= atUpdate + 10, 'the writer rewrote gen_race_other ten more times');
	} finally {
		writing = false;
		await loop;
	}
	// Every batch the rewrites brought is over: past their last events, and nothing owed, queued or running.
	await barrier();
	await waitUntil(() => {
		const status = service?.status();
		return status !== undefined && status.pendingChanges === 0 && status.queuedBatches === 0 && status.runningBatches === 0;
	}, 'the daemon owes nothing and runs no batch');
	const batches = records.after(since).filter(isBatch);
	const failed = batches.flatMap(batch => batch.failed.map(failure => `${batch.id} ${failure.module}: ${failure.reason}`));
	t.log(`${rewrites} rewrites of gen_race_other; ${batches.length} batches; deferred: ${batches.flatMap(batch => batch.deferred).join(' ')}`);
	// gen_race_main never failed, no update failed on a beam of the directory (beam_lib), and no reason is the "-vsn did not change" guess.
	t.deepEqual(failed.filter(line => line.includes('gen_race_main') || line.includes('beam_lib') || line.includes('but its -vsn did not')), [], 'no batch failed because of the other file');
	t.log(failed.length === 0 ? 'no failed entry at all' : `failed entries of the rewritten module itself: ${failed.join('; ')}`);
	await unlink(join(ebin, 'gen_race_other.beam')).catch(() => undefined);
});
