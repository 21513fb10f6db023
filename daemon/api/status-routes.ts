import {escapeUntrusted, quoteUntrusted} from '../errors.ts';
import type {BatchRecord} from '../reloader/batch-record.ts';
import type {MemberStatus} from '../reloader/batch-reloader.ts';
import type {Answer} from './answer.ts';
import type {ServiceCalls} from '../service-calls.ts';

export interface StatusSource {
	readonly daemon: ServiceCalls;
	readonly version: string;
	readonly startedAt: number;
	/** The last batch record seen on the bus. */
	lastBatch(): BatchRecord | undefined;
}

/** `GET /status`: where work is in the pipeline, and the last batch. */
export function statusAnswer(source: StatusSource, now = Date.now()): Answer {
	const status = source.daemon.status();
	return {
		status: 200,
		body: {
			version: source.version,
			node: status.node,
			transport: status.transport,
			connected: status.connected,
			versions: status.versions ?? {},
			// A cluster: every member, connected or not, and what it lags behind in.
			...(status.members === undefined ? {} : {members: status.members}),
			directories: status.directories,
			queue: {
				queuedBatches: status.queuedBatches,
				runningBatches: status.runningBatches,
				pendingChanges: status.pendingChanges,
				unsettledBeams: status.unsettledBeams,
				oldestUnsettledMs: status.oldestUnsettledMs ?? null,
				stuckBeams: status.stuckBeams ?? [],
			},
			// What the daemon still owes the node: each module, why, for how long, and when it falls due.
			owed: status.owed ?? [],
			lastBatch: source.lastBatch() ?? null,
			lastReconfigure: status.lastReconfigure ?? null,
			uptimeSeconds: Math.floor((now - source.startedAt) / 1000),
		},
	};
}

/**
 * `GET /healthz`: for a supervisor or a load balancer; 503 until the node
 * answered and the init step ran, and while beams stay unsettled past the
 * deadline (a read that cannot finish, descriptors exhausted): changes are
 * then not reaching the node, and the reason names the beams. Each 503 has a
 * stable `code` (ERR_NODE_DOWN, ERR_BEAM_INCOMPLETE), so that a probe tells it
 * from the API's own 503 ERR_API_BUSY. A cluster is
 * down (503) when no member is reachable, and `degraded` (200, naming the
 * unreachable members) when some are: the others are still reloaded, and
 * each absent one is reconciled when it comes back.
 */
export function healthAnswer(daemon: Pick<ServiceCalls, 'status'>): Answer {
	const {connected, node, stuckBeams = [], members} = daemon.status();
	const unreachable = (members ?? []).filter(member => !member.connected);
	if (!connected || (members !== undefined && members.length > 0 && unreachable.length === members.length)) {
		const reason = members === undefined
			? `The node ${node} is unreachable, or the daemon has not initialised it yet`
			: `No member of the cluster is reachable, or the daemon has not initialised one yet${unreachable.length === 0 ? '' : ` (${membersText(unreachable)})`}`;
		return {status: 503, body: {ok: false, code: 'ERR_NODE_DOWN', reason}, headers: {'Retry-After': '5'}};
	}
	if (stuckBeams.length > 0) {
		const shown = stuckBeams.slice(0, 10).map(({path, unsettledMs}) => `${quoteUntrusted(path, 300)} (${(unsettledMs / 1000).toFixed(1)} s)`).join(', ');
		const more = stuckBeams.length > 10 ? ` and ${stuckBeams.length - 10} more` : '';
		return {
			status: 503,
			body: {ok: false, code: 'ERR_BEAM_INCOMPLETE', reason: `${stuckBeams.length} beam(s) unsettled past the deadline, so their changes are not reaching the node: ${shown}${more}`, stuckBeams},
			headers: {'Retry-After': '5'},
		};
	}
	if (members === undefined) {
		return {status: 200, body: {ok: true}};
	}
	if (unreachable.length > 0) {
		return {
			status: 200,
			body: {
				ok: true,
				status: 'degraded',
				reason: `${unreachable.length} of ${members.length} cluster members unreachable, reconciled when they come back: ${membersText(unreachable)}`,
				unreachable: unreachable.map(member => member.node),
			},
		};
	}
	return {status: 200, body: {ok: true, status: 'ok'}};
}

/** Each member with why it is not connected (its last error, as the daemon saw it). */
function membersText(members: readonly MemberStatus[]): string {
	return members.map(({node, reason}) => `${node} (${reason === undefined ? 'not connected yet' : escapeUntrusted(reason, 300)})`).join(', ');
}
