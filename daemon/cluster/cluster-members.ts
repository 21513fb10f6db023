import {errorMessage, isRetryable, ReloaderError} from '../errors.ts';
import {problemRecord, type DaemonRecord, type InitRecord} from '../records.ts';
import type {PathMapping} from '../transports/path-map.ts';
import {ClusterMember, type MemberTransport} from './cluster-member.ts';
import {MemberPathMap} from './member-path-map.ts';

export interface ClusterMembersOptions {
	/** The configured node: asked for the membership (`auto`), and the cluster's name in records. */
	readonly primary: string;
	/** `auto`, or the members themselves. */
	readonly nodes: 'auto' | readonly string[];
	/** The configured `paths`, which every member's map starts from. */
	readonly paths: readonly PathMapping[];
	/** A connection to one member, through its own path map. */
	readonly connect: (node: string, paths: MemberPathMap) => MemberTransport;
	/** The daemon's update_info directory, which each member's own stands for (see MemberPathMap). */
	readonly reach: (signal?: AbortSignal) => Promise<string | undefined>;
	readonly report: (record: DaemonRecord) => void;
	/**
	 * How long a reachable member must stay missing from the membership before
	 * it counts as gone: a member whose ejabberd restarts is missing from
	 * get_nodes() for a while, and has not left.
	 */
	readonly leaveAfterMs: number;
}

/** Told of a member to reconcile with the cluster: it came back (`reconnect`) or joined (`join`). */
export type MemberListener = (node: string, why: 'reconnect' | 'join') => void;

/**
 * The members of the cluster and their connections. `auto` follows
 * `ejabberd_cluster:get_nodes/0` (asked of any connected member, the
 * configured one first); a list is fixed. refresh() (at start, then every
 * cluster.pollMs) picks up joins and departures and tries unreachable members
 * again; a member that comes back or joins is handed to the listener, which
 * queues its reconcile.
 */
export class ClusterMembers {
	readonly #options: ClusterMembersOptions;
	readonly #members = new Map<string, ClusterMember>();
	#listener: MemberListener | undefined;
	/** One refresh at a time: a slow member must not stack them up. */
	#refreshing: Promise<void> | undefined;
	#closed = false;
	/** Whether the membership was read once: members found then were there before the daemon, not joins. */
	#followed = false;
	/** The last refusal reported of each member: the same one is not logged again at every poll. */
	readonly #reported = new Map<string, string>();
	/** When each reachable member was first found missing from the membership (forgotten once listed again). */
	readonly #missingSince = new Map<string, number>();

	constructor(options: ClusterMembersOptions) {
		this.#options = options;
		for (const node of options.nodes === 'auto' ? [options.primary] : options.nodes) {
			this.#add(node);
		}
	}

	get primary(): string {
		return this.#options.primary;
	}

	/** The members, the configured node first, then by name. */
	list(): ClusterMember[] {
		return [...this.#members.values()].sort((a, b) => rank(a, this.primary) - rank(b, this.primary) || a.node.localeCompare(b.node));
	}

	get(node: string): ClusterMember | undefined {
		return this.#members.get(node);
	}

	onMember(listener: MemberListener): void {
		this.#listener = listener;
	}

	/**
	 * Init every member that is not ready, and (`auto`) follow the
	 * membership. Resolves when at least one member is ready; throws
	 * ERR_NODE_DOWN (retryable) when none is.
	 */
	async ready(signal?: AbortSignal): Promise<void> {
		await this.refresh(signal);
		if (!this.list().some(member => member.connected)) {
			// Refused (a wrong cookie, a TLS certificate the members reject) rather than away: waiting cannot help.
			const refused = this.list().map(member => member.lastError).find(error => error !== undefined && !isRetryable(error));
			if (refused !== undefined) {
				throw refused;
			}
			const reasons = this.list().map(member => `${member.node}: ${member.status().reason ?? 'not connected'}`).join('; ');
			throw new ReloaderError('ERR_NODE_DOWN', `No member of the cluster is reachable (${reasons})`, {
				retryable: true,
				hint: 'Start ejabberd on at least one member; the daemon tries them again and reconciles each as it comes back.',
			});
		}
	}

	/** Try unreachable members again and (`auto`) read the membership; shared by concurrent callers. */
	refresh(signal?: AbortSignal): Promise<void> {
		this.#refreshing ??= this.#refresh(signal).finally(() => {
			this.#refreshing = undefined;
		});
		return this.#refreshing;
	}

	/** A member found unreachable (a call failed, or its connection dropped): reported once, tried again at the next refresh. */
	markDown(member: ClusterMember, reason: string): void {
		if (member.connected) {
			this.#options.report({event: 'node', node: member.node, state: 'down', reason});
		}
		member.markDown(reason);
	}

	async close(): Promise<void> {
		this.#closed = true;
		await Promise.all(this.list().map(async member => member.close()));
		this.#members.clear();
	}

	async #refresh(signal?: AbortSignal): Promise<void> {
		const down = this.list().filter(member => !member.connected);
		await Promise.all(down.map(async member => this.#tryMember(member, signal)));
		if (this.#options.nodes === 'auto' && !this.#closed) {
			await this.#follow(signal);
		}
	}

	/** `start`: a member found at the first read of the membership, ready like the configured node (no reconcile). */
	async #tryMember(member: ClusterMember, signal?: AbortSignal, why: 'reconnect' | 'join' | 'start' = 'reconnect'): Promise<void> {
		// Reconciled when it comes back: a member that was up before, or one that missed a batch (down since the start).
		const behind = member.versions.ejabberd !== undefined || member.lagging.length > 0;
		try {
			await member.ready(signal);
		} catch (error) {
			if (!isRetryable(error) && this.#reported.get(member.node) !== errorMessage(error)) {
				this.#reported.set(member.node, errorMessage(error));
				this.#options.report(problemRecord(error, 'error', `Cluster member ${member.node} (tried again every cluster.pollMs; reported again when the reason changes)`));
			}
			return;
		}
		this.#reported.delete(member.node);
		if (why === 'join') {
			this.#options.report({event: 'node', node: member.node, state: 'joined'});
			this.#listener?.(member.node, 'join');
		} else if (why === 'reconnect' && behind) {
			this.#options.report({event: 'node', node: member.node, state: 'up'});
			this.#listener?.(member.node, 'reconnect');
		}
	}

	/** Read the membership from the first connected member; add who joined, drop who left. */
	async #follow(signal?: AbortSignal): Promise<void> {
		const asked = this.list().find(member => member.connected);
		if (asked === undefined) {
			return;
		}
		let listed: readonly string[];
		try {
			listed = await asked.transport.clusterNodes(signal);
		} catch (error) {
			if (isRetryable(error)) {
				this.markDown(asked, errorMessage(error));
			} else {
				this.#options.report(problemRecord(error, 'warn', `Reading the cluster's members from ${asked.node}`));
			}
			return;
		}
		const current = new Set(listed);
		const joined = listed.filter(node => !this.#members.has(node));
		const why = this.#followed ? 'join' : 'start';
		this.#followed = true;
		await Promise.all(joined.map(async node => this.#tryMember(this.#add(node), signal, why)));
		for (const member of this.list()) {
			if (current.has(member.node)) {
				this.#missingSince.delete(member.node);
			} else if (member.connected && member.node !== this.primary && await this.#hasLeft(member, asked.node, signal)) {
				this.#members.delete(member.node);
				this.#missingSince.delete(member.node);
				this.#options.report({event: 'node', node: member.node, state: 'left', reason: `${asked.node} has not listed it in ejabberd_cluster:get_nodes() for ${this.#options.leaveAfterMs} ms, nor does it list ${asked.node}`});
				await member.close();
			}
		}
	}

	/**
	 * A reachable member missing from the membership has left once it has been
	 * missing for leaveAfterMs and does not list `asked` itself either. One
	 * that is down is missing too, and stays: it is tried again, and
	 * reconciled when it answers.
	 */
	async #hasLeft(member: ClusterMember, asked: string, signal?: AbortSignal): Promise<boolean> {
		const now = Date.now();
		const since = this.#missingSince.get(member.node) ?? now;
		this.#missingSince.set(member.node, since);
		if (now - since < this.#options.leaveAfterMs) {
			return false;
		}
		const own = await member.transport.clusterNodes(signal).catch(() => undefined);
		return own !== undefined && !own.includes(asked);
	}

	#add(node: string): ClusterMember {
		const paths = new MemberPathMap(this.#options.paths);
		const transport = this.#options.connect(node, paths);
		const member = new ClusterMember({
			transport,
			paths,
			reach: this.#options.reach,
			onInit: (record: InitRecord) => this.#options.report(record),
		});
		transport.onDisconnect(reason => {
			if (!this.#closed) {
				this.markDown(member, `connection lost: ${reason}`);
			}
		});
		this.#members.set(node, member);
		return member;
	}
}

function rank(member: ClusterMember, primary: string): number {
	return member.node === primary ? 0 : 1;
}
