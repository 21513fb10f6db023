import {mkdir, mkdtemp, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import type {ExecutionContext} from 'ava';
import {readBeamSnapshot} from '../../daemon/beam/beam-snapshot.ts';
import {resolveConfig} from '../../daemon/config/resolve-config.ts';
import type {ResolvedConfig, UserConfig} from '../../daemon/config/schema.ts';
import type {Daemon} from '../../daemon/daemon.ts';
import type {BatchRecord} from '../../daemon/reloader/batch-record.ts';
import type {SandboxNode} from '../../daemon/sandbox/sandbox-node.ts';
import type {TestCluster} from './cluster.ts';
import {nodeCall} from './ejabberd.ts';
import {compileGenerated, installBeam} from './fixtures.ts';
import {openDaemon} from './open-daemon.ts';
import {RecordCollector, isBatch} from './record-collector.ts';

export type ClusterSettings = NonNullable<UserConfig['cluster']>;

/** The configuration of a daemon next to the cluster's first node, watching its ebin, reloading every member through `cluster`. */
export function clusterDaemonConfig(cluster: TestCluster, settings: ClusterSettings = {}, extra: UserConfig = {}): ResolvedConfig {
	const {first} = cluster;
	return resolveConfig({
		transport: 'dist',
		node: first.node,
		cookieFile: first.cookieFile,
		watch: [first.hostEbinDir],
		// A node in a root sees its ebin elsewhere than this process.
		paths: first.hostEbinDir === first.ebinDir ? [] : [{local: first.hostEbinDir, node: first.ebinDir}],
		debounceMs: 300,
		maxWaitMs: 3000,
		incompleteTimeoutMs: 1000,
		...extra,
		cluster: settings,
	});
}

/**
 * The daemon as an operator runs it next to a cluster's first node: it
 * watches that node's ebin (as this process sees it) and reloads every
 * member through `cluster`. Closed at the test's teardown.
 */
export async function startClusterDaemon(t: ExecutionContext, cluster: TestCluster, settings: ClusterSettings = {}, extra: UserConfig = {}): Promise<{daemon: Daemon; records: RecordCollector}> {
	const records = new RecordCollector();
	const daemon = await openDaemon(clusterDaemonConfig(cluster, settings, extra), records.report);
	t.teardown(async () => daemon.close('test done'));
	await daemon.start();
	return {daemon, records};
}

/** A scratch directory for builds, removed at teardown. */
export async function buildDirectory(t: ExecutionContext): Promise<(module: string, version: number) => Promise<string>> {
	const dir = await mkdtemp(join(tmpdir(), 'reloader-cluster-build-'));
	t.teardown(async () => rm(dir, {recursive: true, force: true}));
	let builds = 0;
	return async (module, version) => {
		const out = join(dir, `${module}-v${version}-${++builds}`);
		await mkdir(out);
		return compileGenerated(module, version, out);
	};
}

/** Version 1 of `module` on every node's disk, loaded on every node: the cluster runs it before the test changes it. */
export async function runEverywhere(nodes: readonly SandboxNode[], beam: string, module: string): Promise<void> {
	for (const node of nodes) {
		await installBeam(beam, node.hostEbinDir);
		await nodeCall(node, `code:ensure_loaded(${module})`);
	}
}

/** The code MD5 of a beam as the daemon reads it (what a node running it reports). */
export async function codeMd5(beam: string): Promise<string> {
	const read = await readBeamSnapshot(beam);
	if (read.state !== 'complete') {
		throw new Error(`${beam} is not a complete beam: ${read.state}`);
	}
	return read.snapshot.codeMd5;
}

/** What `module:version()` answers on the node (loading it from its disk if it is not loaded). */
export async function versionOn(node: SandboxNode, module: string): Promise<string> {
	return nodeCall(node, `${module}:version()`);
}

/** The first batch record about `module` since `since` (a watch batch; a reconcile names its trigger). */
export function clusterBatchWith(module: string, trigger?: BatchRecord['trigger']) {
	return (record: Parameters<typeof isBatch>[0]): record is BatchRecord => isBatch(record) && (trigger === undefined || record.trigger === trigger) && (record.updated.includes(module) || record.failed.some(failure => failure.module === module) || record.unchanged.includes(module) || record.notLoaded.includes(module) || Object.values(record.nodes ?? {}).some(outcome => outcome.failed.some(failure => failure.module === module)));
}
