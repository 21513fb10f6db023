import {chmod, mkdir, mkdtemp, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import test, {type ExecutionContext} from 'ava';
import type {BatchRecord} from '../../daemon/reloader/batch-record.ts';
import type {SandboxNode} from '../../daemon/sandbox/sandbox-node.ts';
import {findFreePort} from '../../daemon/sandbox/free-port.ts';
import {createService, type Service} from '../../daemon/service/create-service.ts';
import {deployBeam, useCluster} from '../support/cluster.ts';
import {clusterBatchWith, clusterDaemonConfig, codeMd5} from '../support/cluster-daemon.ts';
import {nodeCall} from '../support/ejabberd.ts';
import {compileGenerated} from '../support/fixtures.ts';
import {RecordCollector} from '../support/record-collector.ts';
import {waitUntil} from '../support/wait.ts';

/**
 * `nodes` on every endpoint that takes it, through the service as the CLI
 * builds it (createService: the API is handed the service itself) against a
 * real two-node ejabberd 23.01 cluster. Each case makes one module stale on
 * both members (v2 on each disk, v1 loaded), names one member, and checks by
 * the MD5 each member runs that the named one runs v2 and the other was not
 * touched (GET /update-modules/all?nodes= reloaded every member before).
 */
const getCluster = useCluster(test, {size: 2});
const records = new RecordCollector();
let service: Service | undefined;
let buildDir = '';

const members = () => {
	const [first, second] = getCluster().nodes;
	if (first === undefined || second === undefined) {
		throw new Error('expected two nodes');
	}
	return {first, second};
};

const api = (path: string) => `${service?.api?.url ?? 'http://api-not-listening'}${path}`;
const postJson = async (path: string, body: unknown) => fetch(api(path), {method: 'POST', headers: {'Content-Type': 'application/json'}, body: JSON.stringify(body)});

/** The MD5 of the code `node` runs for `module` (lower-case hex, as the daemon reads it), without loading anything. */
async function runningMd5(node: SandboxNode, module: string): Promise<string> {
	const printed = await nodeCall(node, `binary_to_list(binary:encode_hex(erlang:get_module_info(${module}, md5)))`);
	const hex = /^"([0-9A-Fa-f]{32})"$/.exec(printed)?.[1];
	if (hex === undefined) {
		throw new Error(`Expected ${node.node} to print the MD5 of ${module} as a "hex" string, got ${printed}`);
	}
	return hex.toLowerCase();
}

async function build(module: string, version: number): Promise<string> {
	const dir = join(buildDir, `${module}-v${version}`);
	await mkdir(dir, {mode: 0o755});
	return compileGenerated(module, version, dir);
}

/**
 * v2 on both disks while nobody runs the module (a notLoaded batch, waited
 * for), then v1's code loaded on both under the ebin's file name: both run v1,
 * both disks hold v2, and no write is left for the watcher to turn into a batch.
 */
async function staleEverywhere(module: string): Promise<{readonly v1: string; readonly v2: string}> {
	const [v1Beam, v2Beam] = await Promise.all([build(module, 1), build(module, 2)]);
	const since = records.mark();
	const deployment = await deployBeam(getCluster(), v2Beam);
	await deployment.done;
	const batch = await records.waitFor(clusterBatchWith(module), {since, what: `the notLoaded batch of ${module}`});
	if (!batch.notLoaded.includes(module)) {
		throw new Error(`Expected ${module} not loaded on any member before the test loads v1, got ${JSON.stringify(batch)}`);
	}
	for (const node of getCluster().nodes) {
		await nodeCall(node, `{ok, B} = file:read_file("${v1Beam}"), {module, ${module}} = code:load_binary(${module}, "${join(node.ebinDir, `${module}.beam`)}", B)`);
	}
	const versions = {v1: await codeMd5(v1Beam), v2: await codeMd5(v2Beam)};
	for (const node of getCluster().nodes) {
		if (await runningMd5(node, module) !== versions.v1) {
			throw new Error(`${node.node} does not run v1 of ${module} after loading it`);
		}
	}
	return versions;
}

interface Answer {
	readonly status: number;
	readonly body: Pick<BatchRecord, 'ok' | 'updated' | 'nodes'> & {readonly batch: number};
}

async function answerOf(response: Response): Promise<Answer> {
	return {status: response.status, body: await response.json() as Answer['body']};
}

/** The named member runs v2 (by the answer and by asking it), the other still v1: nothing touched it. */
async function assertOnlyNamed(t: ExecutionContext, answer: Answer, module: string, named: SandboxNode, other: SandboxNode, md5: {readonly v1: string; readonly v2: string}): Promise<void> {
	t.is(answer.status, 200, JSON.stringify(answer.body));
	t.deepEqual(Object.keys(answer.body.nodes ?? {}), [named.node], 'the batch is for the named member only');
	t.is(answer.body.nodes?.[named.node]?.state, 'done');
	t.true(answer.body.nodes?.[named.node]?.updated.includes(module), JSON.stringify(answer.body.nodes));
	t.is(answer.body.nodes?.[named.node]?.running[module], md5.v2, `the answer: ${named.node} runs v2`);
	t.is(await runningMd5(named, module), md5.v2, `${named.node} runs v2 of ${module}`);
	t.is(await runningMd5(other, module), md5.v1, `${other.node}, not named, still runs v1 of ${module}`);
}

test.serial.before(async () => {
	buildDir = await mkdtemp(join(tmpdir(), 'reloader-api-nodes-'));
	// The nodes (as the ejabberd user) read v1 from here.
	await chmod(buildDir, 0o755);
	const config = clusterDaemonConfig(getCluster(), {nodes: 'auto'}, {api: {listen: `127.0.0.1:${await findFreePort()}`}});
	service = createService(config, {version: 'test', mode: 'daemon', createLogger: () => ({log: records.report, close: async () => undefined})});
	await service.start();
	await waitUntil(() => service?.status().connected === true && (service.status().members ?? []).filter(member => member.connected).length === 2, 'both members are connected');
});

test.after.always(async () => {
	await service?.close('test done');
	await rm(buildDir, {recursive: true, force: true});
});

test.serial('GET /update-modules/all?nodes= reloads the named member only', async t => {
	const {first, second} = members();
	const md5 = await staleEverywhere('api_nodes_query');
	const answer = await answerOf(await fetch(api(`/update-modules/all?nodes=${second.node}`)));
	await assertOnlyNamed(t, answer, 'api_nodes_query', second, first, md5);
});

test.serial('POST /update-modules/all {"nodes": [...]} reloads the named member only', async t => {
	const {first, second} = members();
	const md5 = await staleEverywhere('api_nodes_body');
	const answer = await answerOf(await postJson('/update-modules/all', {nodes: [first.node]}));
	await assertOnlyNamed(t, answer, 'api_nodes_body', first, second, md5);
});

test.serial('POST /update-modules {"modules", "nodes"} reloads the module on the named member only', async t => {
	const {first, second} = members();
	const md5 = await staleEverywhere('api_nodes_named');
	const answer = await answerOf(await postJson('/update-modules', {modules: ['api_nodes_named'], nodes: [second.node]}));
	await assertOnlyNamed(t, answer, 'api_nodes_named', second, first, md5);
	t.deepEqual(answer.body.updated, ['api_nodes_named']);
});

test.serial('without nodes, the same request reaches every member', async t => {
	const {first, second} = members();
	const md5 = await staleEverywhere('api_nodes_every');
	const answer = await answerOf(await fetch(api('/update-modules/all')));
	t.is(answer.status, 200, JSON.stringify(answer.body));
	t.deepEqual(Object.keys(answer.body.nodes ?? {}).sort(), [first.node, second.node].sort());
	for (const node of [first, second]) {
		t.is(await runningMd5(node, 'api_nodes_every'), md5.v2, `${node.node} runs v2`);
	}
});
