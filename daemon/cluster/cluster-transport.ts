import {DIST_CAPABILITIES} from '../transports/capabilities.ts';
import type {NodeCompileRequest, NodeCompileResult} from '../transports/node-compile.ts';
import type {CodeLocations, HeldProcess, InitReport, ModuleLocation, ModuleState, PurgeMode, Transport, UpdateInfo, UpdateOutcome} from '../transports/transport.ts';
import type {ClusterMember} from './cluster-member.ts';
import type {ClusterMembers} from './cluster-members.ts';

/**
 * The cluster as the daemon's one node: its init step makes every member
 * ready (and throws, retryable, only when none is), and what is asked of "the
 * node" outside a batch (update_info for GET /update-modules, the code
 * directories for `watch: auto`) is asked of the configured node, or the
 * first member that answers. Batches never go through here: the
 * ClusterReloader runs them on each member.
 */
export class ClusterTransport implements Transport {
	readonly kind = 'dist';
	readonly capabilities = DIST_CAPABILITIES;
	readonly #members: ClusterMembers;

	constructor(members: ClusterMembers) {
		this.#members = members;
	}

	get node(): string {
		return this.#members.primary;
	}

	async ensureUpdaterLoaded(signal?: AbortSignal): Promise<InitReport> {
		await this.#members.ready(signal);
		const members = this.#members.list();
		const ready = members.filter(member => member.connected);
		// Each member's own init record came first; this one says how many are ready.
		return {method: `its cluster's init step (${ready.length} of ${members.length} members ready: ${ready.map(member => member.node).join(', ')})`, wasLoaded: undefined, versions: this.#first().versions};
	}

	async updateInfo(signal?: AbortSignal): Promise<UpdateInfo> {
		return this.#first().transport.updateInfo(signal);
	}

	async update(modules: readonly string[], signal?: AbortSignal): Promise<UpdateOutcome> {
		return this.#first().transport.update(modules, signal);
	}

	async moduleStates(modules: readonly ModuleLocation[], signal?: AbortSignal): Promise<ReadonlyMap<string, ModuleState>> {
		return this.#first().transport.moduleStates(modules, signal);
	}

	async codeDirectory(signal?: AbortSignal): Promise<string> {
		return this.#first().transport.codeDirectory(signal);
	}

	async codeLocations(signal?: AbortSignal): Promise<CodeLocations> {
		return this.#first().transport.codeLocations(signal);
	}

	/** Members are each followed on their own; the cluster as a whole has no incarnation. */
	incarnation(): number | undefined {
		return undefined;
	}

	/** A member's lost connection is its own affair (ClusterMembers); the cluster is "down" only when no member answers, which a batch finds. */
	onDisconnect(): void {
		// Nothing: see above.
	}

	async loadBeam(location: ModuleLocation, purge: PurgeMode, signal?: AbortSignal): Promise<string | undefined> {
		return this.#first().transport.loadBeam(location, purge, signal);
	}

	async oldCodeHolders(modules: readonly string[], signal?: AbortSignal): Promise<ReadonlyMap<string, readonly HeldProcess[]>> {
		return this.#first().transport.oldCodeHolders(modules, signal);
	}

	/** Members run one ejabberd (their disks agree before a rollout), so one member's compiler serves all. */
	async compileModule(request: NodeCompileRequest, signal?: AbortSignal): Promise<NodeCompileResult> {
		return this.#first().transport.compileModule(request, signal);
	}

	async close(): Promise<void> {
		await this.#members.close();
	}

	/** The configured node when connected, else the first connected member, else the configured node (whose call then fails as down). */
	#first(): ClusterMember {
		const members = this.#members.list();
		const first = members.find(member => member.connected) ?? members[0];
		if (first === undefined) {
			throw new Error('A cluster always has its configured node as a member');
		}
		return first;
	}
}
