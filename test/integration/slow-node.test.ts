import {execFile} from 'node:child_process';
import {chown, mkdtemp, readFile, readdir, rm, stat} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {promisify} from 'node:util';
import test from 'ava';
import {resolveConfig} from '../../daemon/config/resolve-config.ts';
import {DistClient, remoteFunction} from '../../daemon/lib/erlang-dist/index.ts';
import {Tuple, atom, isAtom} from '../../daemon/lib/erlang-term/index.ts';
import type {Term} from '../../daemon/lib/erlang-term/index.ts';
import type {DaemonRecord} from '../../daemon/records.ts';
import {nodeCall, withSandboxNode} from '../support/ejabberd.ts';
import {compileGenerated, installBeam} from '../support/fixtures.ts';
import {openDaemon} from '../support/open-daemon.ts';
import {RecordCollector, batchWith, isBatch, isProblem} from '../support/record-collector.ts';
import {waitUntil} from '../support/wait.ts';

/*
 * Issue 9, D: a node made slow by a large ebin is slow, not down. 3,000 extra
 * beams (a small module compiled under 3,000 names) make each update_info scan
 * take seconds; with callTimeoutMs far below that the daemon must report the
 * scan as slow (naming the call, the time so far and the ebin's size), never
 * the node as down, and never run two ejabberd_update scans on the node at
 * once, also while requests for update_info arrive during a batch. The node
 * side is observed directly, over a distribution connection of the test's
 * own: every sample counts the processes whose stack is inside ejabberd_update.
 */

const EXTRA_BEAMS = 3000;
const CALL_TIMEOUT_MS = 1000;

/** How many processes on the node have an ejabberd_update frame in their current stack: the scans running there. */
async function countScans(observer: DistClient): Promise<number> {
	const pids = await observer.call('erlang', 'processes', []);
	const stacks = await Promise.all((pids as Term[]).map(async pid => observer.call('erlang', 'process_info', [pid, atom('current_stacktrace')])));
	return stacks.filter(answer => answer instanceof Tuple && Array.isArray(answer.elements[1])
		&& (answer.elements[1] as Term[]).some(frame => frame instanceof Tuple && isAtom(frame.elements[0], 'ejabberd_update'))).length;
}

/** Compile `count` empty modules zz_slow_1..N straight into `ebin`, in one Erlang VM of our own (not the node). */
async function writeExtraBeams(ebin: string, count: number): Promise<void> {
	const script = `lists:foreach(fun(N) -> M = list_to_atom("zz_slow_" ++ integer_to_list(N)), {ok, M, Bin} = compile:forms([{attribute, 1, module, M}, {attribute, 1, export, []}], []), ok = file:write_file(filename:join("${ebin}", atom_to_list(M) ++ ".beam"), Bin) end, lists:seq(1, ${count})), halt().`;
	await promisify(execFile)('/usr/bin/erl', ['-noshell', '-eval', script], {timeout: 120_000});
	const owner = await stat(ebin);
	if (process.getuid?.() === 0) {
		await Promise.all((await readdir(ebin)).filter(name => name.startsWith('zz_slow_')).map(name => chown(join(ebin, name), owner.uid, owner.gid)));
	}
}

test('a scan slowed by 3,000 extra beams is reported slow, not down, and at most one runs on the node at a time', async t => {
	t.timeout(600_000);
	const node = await withSandboxNode(t);
	const buildDir = await mkdtemp(join(tmpdir(), 'reloader-slow-node-'));
	t.teardown(() => rm(buildDir, {recursive: true, force: true}));
	await installBeam(await compileGenerated('gen_slow_probe', 1, buildDir), node.ebinDir);
	await nodeCall(node, 'code:ensure_loaded(gen_slow_probe)');
	await writeExtraBeams(node.ebinDir, EXTRA_BEAMS);

	// Sample the node for the whole test: how many ejabberd_update scans run at once. The pause between samples
	// only keeps the sampler from flooding the node (each sample asks every process); it stands for no event.
	const observer = new DistClient({
		node: node.node,
		cookie: async () => (await readFile(node.cookieFile, 'latin1')).trim(),
		connectTimeoutMs: 10_000,
		callTimeoutMs: 60_000,
		allow: [remoteFunction('erlang', 'processes', 0), remoteFunction('erlang', 'process_info', 2)],
	});
	let maxScans = 0;
	let samples = 0;
	let sampling = true;
	const sampler = (async () => {
		while (sampling) {
			maxScans = Math.max(maxScans, await countScans(observer));
			samples++;
			await new Promise(resolve => setTimeout(resolve, 50));
		}
	})();
	t.teardown(async () => {
		sampling = false;
		await sampler.catch(() => undefined);
		await observer.close();
	});

	const [micros] = (await nodeCall(node, '{T, _} = timer:tc(ejabberd_update, update_info, []), T')).split(',');
	const scanMs = Math.round(Number(micros) / 1000);
	t.log(`one update_info scan of ${EXTRA_BEAMS} extra beams (measured through erl_call): ${scanMs} ms`);
	t.true(scanMs > CALL_TIMEOUT_MS, `the scan must take longer than callTimeoutMs for this test to mean anything; it took ${scanMs} ms`);

	const records = new RecordCollector();
	const config = resolveConfig({transport: 'dist', node: node.node, cookieFile: node.cookieFile, watch: [node.ebinDir], debounceMs: 300, maxWaitMs: 3000, dist: {callTimeoutMs: CALL_TIMEOUT_MS}});
	const daemon = await openDaemon(config, records.report);
	t.teardown(() => daemon.close('test done'));
	await daemon.start();

	const beams = (await readdir(node.ebinDir)).filter(name => name.endsWith('.beam')).length;
	const slow = await records.waitFor(record => isProblem(record) && record.code === 'WARN_NODE_SLOW', {what: 'a WARN_NODE_SLOW record', timeoutMs: 120_000});
	t.log(`warning: ${(slow as Extract<DaemonRecord, {event: 'error'}>).message}`);
	t.regex((slow as Extract<DaemonRecord, {event: 'error'}>).message, new RegExp(`^ejabberd_update:update_info/0 on ${node.node} is slow, not down: no answer after \\d+ ms; .*ebin holds ${beams} beams, and ejabberd_update reads every one\\.`));
	await records.waitFor(record => record.event === 'init', {what: 'the init record', timeoutMs: 120_000});

	// A batch, with update_info asked for three more times once it runs (as GET /update-modules would).
	const since = records.mark();
	await installBeam(await compileGenerated('gen_slow_probe', 2, buildDir), node.ebinDir);
	const batchDone = records.waitFor(batchWith('gen_slow_probe'), {since, what: 'the batch of gen_slow_probe', timeoutMs: 240_000});
	// Each of its scans takes seconds; should it be over before a poll sees it, the requests come after it (the case still holds, it proves less).
	await waitUntil(() => daemon.status().runningBatches > 0 || records.after(since).some(isBatch), 'the batch of gen_slow_probe runs', 240_000);
	await Promise.all(Array.from({length: 3}, async () => daemon.updateInfo()));
	const batch = await batchDone;
	t.deepEqual(batch.updated, ['gen_slow_probe']);
	t.is(await nodeCall(node, 'gen_slow_probe:version()'), '2');

	sampling = false;
	await sampler;
	t.log(`node samples: ${samples}; most ejabberd_update scans seen running at once: ${maxScans}`);
	// 1, not 0: the sampler did see a scan running (how many samples it took depends on the machine, and is only logged).
	t.is(maxScans, 1);
	t.deepEqual(records.records.filter(record => record.event === 'node' && record.state === 'down'), []);
	t.deepEqual(records.records.filter(record => isProblem(record) && record.severity === 'error'), []);
	const warnings = records.records.filter(record => isProblem(record) && record.code === 'WARN_NODE_SLOW');
	t.log(`WARN_NODE_SLOW records: ${warnings.length}`);
});
