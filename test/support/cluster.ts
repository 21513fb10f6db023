import {randomBytes} from 'node:crypto';
import {copyFile, mkdtemp, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {basename, join} from 'node:path';
import {setTimeout as delay} from 'node:timers/promises';
import type {ExecutionContext, TestFn} from 'ava';
import type {SandboxNode} from '../../daemon/sandbox/sandbox-node.ts';
import {runCtl, startTestNode, type TestNodeOptions} from './ejabberd.ts';
import {installBeam} from './fixtures.ts';
import {waitUntil} from './wait.ts';

/**
 * A real ejabberd cluster on this machine, for tests: sandbox nodes (each with
 * its own private copy of ejabberd's ebin, its own spool and ports), started in
 * parallel, then joined to the first one by one with `ejabberdctl join_cluster`
 * through each node's ctlCommand. Every node is stopped by its own stop(), which
 * signals only the process group it spawned.
 */

/** Options every node of the cluster is started with; names are the cluster's own. */
export type ClusterNodeOptions = Omit<TestNodeOptions, 'name' | 'signal'>;

export interface ClusterOptions {
	/** How many nodes to start and join. Default: 3. */
	readonly size?: number;
	/** Options for every node (modules, ejabberd version, startTimeoutMs, onOutput). Default: the sandbox's defaults (23.01). */
	readonly node?: ClusterNodeOptions;
	/** How long one join may take, until the first node lists the new member. Default: 60000. */
	readonly joinTimeoutMs?: number;
	/** Aborts a start in progress; the nodes started so far are stopped. Each node keeps it for restart() (sandbox-node does). */
	readonly signal?: AbortSignal;
}

export interface TestCluster {
	/** `cluster_<6 hex digits>`: every node is named `<id>_<n>@localhost`, n from 1. */
	readonly id: string;
	/** The members in join order; nodes[0] is the first node, which the others joined. Grows with addNode(). */
	readonly nodes: readonly SandboxNode[];
	/** nodes[0]. */
	readonly first: SandboxNode;
	/** How long the start took, in ms: all nodes up (in parallel), then the joins (one after another). */
	readonly startup: {readonly nodesMs: number; readonly joinsMs: number};
	/** Aborted when stop() begins: anything scheduled against the cluster (deployBeam) gives up. */
	readonly signal: AbortSignal;
	/** `ejabberdctl list_cluster` on the first node (ejabberd_cluster:get_nodes()), sorted. */
	members(): Promise<string[]>;
	/**
	 * Start one more node, run `beforeJoin` on it (prepare its disk and code, as
	 * a machine provisioned before it joins), join it to the first, wait until
	 * the first lists it; returns it. A node that fails to join is stopped, and not added.
	 */
	addNode(options?: ClusterNodeOptions, beforeJoin?: (node: SandboxNode) => Promise<void>): Promise<SandboxNode>;
	/** Cancel pending deploys, stop every node (each by its own stop()) and remove its dir. Idempotent. */
	stop(): Promise<void>;
}

const DEFAULT_SIZE = 3;
const DEFAULT_JOIN_TIMEOUT_MS = 60_000;
const POLL_INTERVAL_MS = 200;

/** Start `size` nodes in parallel and join them into one cluster; on any failure, stop what was started and throw. */
export async function startCluster(options: ClusterOptions = {}): Promise<TestCluster> {
	const {size = DEFAULT_SIZE, node: nodeOptions = {}, joinTimeoutMs = DEFAULT_JOIN_TIMEOUT_MS, signal} = options;
	if (!Number.isInteger(size) || size < 1) {
		throw new TypeError(`Expected the \`size\` option to be a positive integer, got \`${String(size)}\` (${typeof size})`);
	}
	const cluster = new Cluster(`cluster_${randomBytes(3).toString('hex')}`, nodeOptions, joinTimeoutMs);
	try {
		await cluster.start(size, signal);
		return cluster;
	} catch (error) {
		await cluster.stop();
		throw error;
	}
}

/** A cluster for one test, stopped in t.teardown (startCluster cleans up itself when the start fails). */
export async function withCluster(t: ExecutionContext, options: ClusterOptions = {}): Promise<TestCluster> {
	const cluster = await startCluster(options);
	t.teardown(() => cluster.stop());
	return cluster;
}

/** One cluster for a whole test file: started before the first test, stopped after the last one even when tests fail. */
export function useCluster(test: TestFn, options: ClusterOptions = {}): () => TestCluster {
	let cluster: TestCluster | undefined;
	test.serial.before(async () => {
		cluster = await startCluster(options);
	});
	test.after.always(async () => {
		await cluster?.stop();
	});
	return () => {
		if (cluster === undefined) {
			throw new Error('The cluster is not running: its test.before hook failed or has not run yet');
		}
		return cluster;
	};
}

class Cluster implements TestCluster {
	readonly id: string;
	readonly #nodes: SandboxNode[] = [];
	readonly #nodeOptions: ClusterNodeOptions;
	readonly #joinTimeoutMs: number;
	readonly #stopping = new AbortController();
	#stopped: Promise<void> | undefined;
	#startup = {nodesMs: 0, joinsMs: 0};
	// Node numbers are handed out once, so a name is never reused (mnesia binds data to it).
	#nextNumber = 1;
	// Joins change the mnesia schema: one at a time, also for addNode() calls that overlap.
	#joins: Promise<unknown> = Promise.resolve();

	constructor(id: string, nodeOptions: ClusterNodeOptions, joinTimeoutMs: number) {
		this.id = id;
		this.#nodeOptions = nodeOptions;
		this.#joinTimeoutMs = joinTimeoutMs;
	}

	get nodes(): readonly SandboxNode[] {
		return [...this.#nodes];
	}

	get first(): SandboxNode {
		const [first] = this.#nodes;
		if (first === undefined) {
			throw new Error(`Cluster ${this.id} has no node: its start failed or it was stopped`);
		}
		return first;
	}

	get startup(): {readonly nodesMs: number; readonly joinsMs: number} {
		return {...this.#startup};
	}

	get signal(): AbortSignal {
		return this.#stopping.signal;
	}

	async start(size: number, signal: AbortSignal | undefined): Promise<void> {
		// The first failure aborts the other starts instead of letting them run to their timeout.
		const failed = new AbortController();
		const startSignal = AbortSignal.any([failed.signal, this.#stopping.signal, ...(signal === undefined ? [] : [signal])]);
		const began = performance.now();
		const started = await Promise.allSettled(Array.from({length: size}, () => this.#startNode(this.#nodeOptions, startSignal).catch((error: unknown) => {
			failed.abort(error);
			throw error;
		})));
		const failures = started.flatMap(result => result.status === 'rejected' ? [result.reason as unknown] : []);
		if (failures.length > 0) {
			// The first failure is the cause; the others are mostly its aborts.
			throw new Error(`Cluster ${this.id}: ${failures.length} of ${size} nodes did not start: ${describeError(failures[0])}`, {cause: failures[0]});
		}
		this.#startup.nodesMs = Math.round(performance.now() - began);
		// They came up in any order: keep creation order, so nodes[i] is `<id>_<i + 1>`.
		this.#nodes.sort((a, b) => a.node.localeCompare(b.node, 'en', {numeric: true}));
		this.#assertOneCookie();
		const joinsBegan = performance.now();
		for (const node of this.#nodes.slice(1)) {
			signal?.throwIfAborted();
			await this.#join(node);
		}
		await this.#waitForMembers(this.#nodes.map(node => node.node));
		this.#startup.joinsMs = Math.round(performance.now() - joinsBegan);
	}

	async members(): Promise<string[]> {
		// ejabberdctl, not erl_call: its control node speaks the cluster's distribution, TLS included.
		const {code, stdout, stderr} = await runCtl(this.first, 'list_cluster');
		if (code !== 0) {
			throw new Error(`\`ejabberdctl list_cluster\` on ${this.first.node} exited ${code}: ${(stderr || stdout).trim()}`);
		}
		return stdout.split(/\s+/).map(word => word.replaceAll(/^'|'$/g, '')).filter(word => word.includes('@')).sort();
	}

	async addNode(options: ClusterNodeOptions = {}, beforeJoin?: (node: SandboxNode) => Promise<void>): Promise<SandboxNode> {
		const node = await this.#startNode({...this.#nodeOptions, ...options}, this.#stopping.signal);
		try {
			this.#assertOneCookie();
			await beforeJoin?.(node);
			await this.#join(node);
			return node;
		} catch (error) {
			// Not a member: out of `nodes` (a deploy must not count it), stopped now.
			this.#nodes.splice(this.#nodes.indexOf(node), 1);
			await node.stop();
			throw error;
		}
	}

	stop(): Promise<void> {
		this.#stopped ??= (async () => {
			this.#stopping.abort(new Error(`Cluster ${this.id} is stopping`));
			// Every node we started, each by its own stop(); one failing does not keep the others running.
			const results = await Promise.allSettled(this.#nodes.map(node => node.stop()));
			this.#nodes.length = 0;
			const failures = results.flatMap(result => result.status === 'rejected' ? [result.reason as unknown] : []);
			if (failures.length > 0) {
				throw new AggregateError(failures, `Cluster ${this.id}: ${failures.length} node(s) failed to stop`);
			}
		})();
		return this.#stopped;
	}

	async #startNode(options: ClusterNodeOptions, signal: AbortSignal): Promise<SandboxNode> {
		signal.throwIfAborted();
		const name = `${this.id}_${this.#nextNumber++}`;
		const node = await startTestNode({...options, name, signal});
		// stop() may have begun while this node was starting: it would not see it.
		if (this.#stopping.signal.aborted) {
			await node.stop();
			throw new Error(`Cluster ${this.id} was stopped while ${node.node} was starting`);
		}
		this.#nodes.push(node);
		return node;
	}

	/** Members must share the cookie; sandbox nodes take it from the ejabberd user's HOME (of the root, in a root). */
	#assertOneCookie(): void {
		const files = new Set(this.#nodes.map(node => node.cookieFile));
		if (files.size > 1) {
			throw new Error(`Cluster ${this.id}: its nodes use different cookie files (${[...files].join(', ')}); start every node of a cluster from the same install`);
		}
	}

	#join(node: SandboxNode): Promise<void> {
		const join = this.#joins.then(async () => {
			this.#stopping.signal.throwIfAborted();
			const {code, stdout, stderr} = await runCtl(node, 'join_cluster', this.first.node);
			if (code !== 0) {
				throw new Error(`Cluster ${this.id}: \`ejabberdctl join_cluster ${this.first.node}\` on ${node.node} exited ${code}: ${(stderr || stdout).trim()}`);
			}
			await this.#waitForMembers([node.node]);
			// The join stopped ejabberd on the node and started it again: a test may use it right away.
			await waitUntil(() => this.#poll(() => runsEjabberd(node)), `ejabberd runs again on ${node.node} after its join`, this.#joinTimeoutMs);
		});
		this.#joins = join.catch(() => undefined);
		return join;
	}

	/** Wait until the first node lists every one of `expected` (the join restarts ejabberd on the joining node). */
	async #waitForMembers(expected: readonly string[]): Promise<void> {
		let listed: string[] = [];
		await waitUntil(() => this.#poll(async () => {
			listed = await this.members();
			return expected.every(node => listed.includes(node));
		}), `${this.first.node} lists ${expected.join(', ')} in ejabberd_cluster:get_nodes() (last: [${listed.join(', ')}])`, this.#joinTimeoutMs);
	}

	/** One try of a condition for waitUntil: a failed call counts as not yet; pace the erl_calls; give up when the cluster stops. */
	async #poll(condition: () => Promise<boolean>): Promise<boolean> {
		this.#stopping.signal.throwIfAborted();
		if (await condition().catch(() => false)) {
			return true;
		}
		await delay(POLL_INTERVAL_MS, undefined, {signal: this.#stopping.signal});
		return false;
	}
}

export interface DeployOptions {
	/**
	 * One entry per node, in `cluster.nodes` order: how many ms after deployBeam
	 * returns the beam lands on that node's disk; `undefined`: never (a machine
	 * the deploy missed). Default: 0 for every node.
	 */
	readonly delays?: ReadonlyArray<number | undefined>;
	/** Cancels the installs still waiting for their delay. */
	readonly signal?: AbortSignal;
}

export interface Deployment {
	/** Per node, in `cluster.nodes` order: the installed path, once that node's copy is complete; undefined for a node with no delay (never). */
	readonly installs: ReadonlyArray<Promise<string> | undefined>;
	/** Resolves when every scheduled install is complete; rejects on the first that fails or is cancelled. */
	readonly done: Promise<void>;
}

/**
 * Install a beam into each node's ebin like a deploy to several machines, each
 * at its own delay, the way `make install` writes (installBeam: unlink, then
 * write in place). The beam is copied when deployBeam is called, so every node
 * gets the same build even if `beamPath` changes meanwhile. Installs still
 * waiting are cancelled by options.signal or when the cluster stops.
 */
export async function deployBeam(cluster: TestCluster, beamPath: string, options: DeployOptions = {}): Promise<Deployment> {
	const nodes = cluster.nodes;
	const {delays = nodes.map(() => 0), signal} = options;
	const problems = delays.length === nodes.length ? [] : [`Expected one delay per node (${nodes.length}), got ${delays.length}`];
	problems.push(...delays.flatMap((ms, index) => ms === undefined || (Number.isFinite(ms) && ms >= 0) ? [] : [`Expected delays[${index}] to be a non-negative number or undefined, got \`${String(ms)}\` (${typeof ms})`]));
	if (problems.length > 0) {
		throw new TypeError(problems.join('; '));
	}
	const cancel = AbortSignal.any([cluster.signal, ...(signal === undefined ? [] : [signal])]);
	cancel.throwIfAborted();
	const staging = await mkdtemp(join(tmpdir(), 'reloader-deploy-'));
	const staged = join(staging, basename(beamPath));
	try {
		await copyFile(beamPath, staged);
	} catch (error) {
		await rm(staging, {recursive: true, force: true});
		throw error;
	}
	const installs = nodes.map((node, index) => {
		const ms = delays[index];
		return ms === undefined ? undefined : delay(ms, undefined, {signal: cancel}).then(() => installBeam(staged, node.hostEbinDir));
	});
	const scheduled = installs.filter(install => install !== undefined);
	const done = Promise.all(scheduled).then(() => undefined);
	// A caller may wait for one node only: the others' failures must not go unhandled.
	for (const install of [...scheduled, done]) {
		install.catch(() => undefined);
	}
	void Promise.allSettled(scheduled).then(() => rm(staging, {recursive: true, force: true}));
	return {installs, done};
}

/** `ejabberdctl status` exits 0 only while the ejabberd application runs (3: the node is up, ejabberd is not). */
async function runsEjabberd(node: SandboxNode): Promise<boolean> {
	return (await runCtl(node, 'status')).code === 0;
}

function describeError(error: unknown): string {
	return error instanceof Error ? error.message : String(error);
}
