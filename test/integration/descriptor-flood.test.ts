import {mkdir, mkdtemp, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import test from 'ava';
import {healthAnswer} from '../../daemon/api/status-routes.ts';
import {unreadable} from '../../daemon/beam/beam-file.ts';
import {boundedBeamReader, type BeamReader} from '../../daemon/beam/beam-snapshot.ts';
import {resolveConfig} from '../../daemon/config/resolve-config.ts';
import {Daemon} from '../../daemon/daemon.ts';
import {scanBeams} from '../../daemon/modules/scan-beams.ts';
import {createTransport} from '../../daemon/transports/create-transport.ts';
import {nodeCall, useSandboxNode} from '../support/ejabberd.ts';
import {compileGenerated, installBeam} from '../support/fixtures.ts';
import {RecordCollector, batchWith, isProblem} from '../support/record-collector.ts';
import {waitUntil} from '../support/wait.ts';

/**
 * B and C against a real 23.01 node: while the daemon is out of descriptors
 * (the beam read fails with EMFILE, injected), the change is retried, never
 * given up; /healthz turns 503 naming the beam once it is unsettled past the
 * deadline; when descriptors are back the change is applied and /healthz is ok.
 */
const getNode = useSandboxNode(test);

test('a beam unreadable for want of descriptors makes /healthz 503 naming it, and is applied once they are back', async t => {
	const node = getNode();
	const buildDir = await mkdtemp(join(tmpdir(), 'reloader-flood-build-'));
	t.teardown(async () => rm(buildDir, {recursive: true, force: true}));
	const build = async (version: number) => {
		const dir = join(buildDir, `v${version}`);
		await mkdir(dir);
		return compileGenerated('gen_flood', version, dir);
	};
	await installBeam(await build(1), node.ebinDir);
	await nodeCall(node, 'code:ensure_loaded(gen_flood)');
	const config = resolveConfig({transport: 'dist', node: node.node, cookieFile: node.cookieFile, watch: [node.ebinDir], debounceMs: 200, maxWaitMs: 2000, incompleteTimeoutMs: 1000});
	const transport = await createTransport(config, () => undefined);
	const records = new RecordCollector();
	const real = boundedBeamReader(config.maxBeamBytes);
	let flooding = false;
	let refused = 0;
	const readBeam: BeamReader = async path => {
		if (flooding && path.endsWith('/gen_flood.beam')) {
			refused++;
			throw unreadable(path, Object.assign(new Error(`EMFILE: too many open files, open '${path}'`), {code: 'EMFILE'}));
		}
		return real(path);
	};
	const daemon = new Daemon({config, transport, directories: [node.ebinDir], index: await scanBeams([node.ebinDir]), report: records.report, readBeam});
	t.teardown(async () => daemon.close('test done'));
	await daemon.start();
	t.is(healthAnswer(daemon).status, 200);

	flooding = true;
	const since = records.mark();
	const started = performance.now();
	await installBeam(await build(2), node.ebinDir);
	const problem = await records.waitFor(record => isProblem(record) && record.path?.endsWith('/gen_flood.beam') === true, {since, what: 'the EMFILE report'});
	t.regex((problem as {message: string}).message, /\(EMFILE\).*read again until it can be read/);
	await waitUntil(() => healthAnswer(daemon).status === 503, '/healthz unhealthy', 20_000);
	const unhealthyAfter = performance.now() - started;
	const answer = healthAnswer(daemon);
	t.log(`/healthz 503 after ${(unhealthyAfter / 1000).toFixed(1)} s: ${JSON.stringify(answer.body)}`);
	t.regex(JSON.stringify(answer.body), /gen_flood\.beam/);
	t.is(answer.headers?.['Retry-After'], '5');
	t.true((daemon.status().oldestUnsettledMs ?? 0) > config.incompleteTimeoutMs);
	// Past the deadline, still not given up: the settler reads it again (and is refused) twice more.
	const refusedWhenUnhealthy = refused;
	await waitUntil(() => refused >= refusedWhenUnhealthy + 2, 'the settler read gen_flood.beam twice more past the deadline');
	t.is(records.after(since).filter(isProblem).length, 1, 'reported once');
	t.false(records.after(since).some(batchWith('gen_flood')));

	flooding = false;
	const batch = await records.waitFor(batchWith('gen_flood'), {since, what: 'batch with gen_flood', timeoutMs: 30_000});
	t.deepEqual(batch.updated, ['gen_flood']);
	t.is(await nodeCall(node, 'gen_flood:version()'), '2');
	t.is(healthAnswer(daemon).status, 200);
	t.log(`${refused} reads refused with EMFILE before the change was read and applied`);
});
