import {dirname} from 'node:path';
import type {ResolvedConfig} from '../config/schema.ts';
import {ReloaderError} from '../errors.ts';
import type {BeamIndex} from '../modules/beam-index.ts';
import type {DaemonRecord} from '../records.ts';
import type {BatchReloaderContext} from '../daemon-options.ts';
import type {BatchReloader} from '../reloader/batch-reloader.ts';
import type {ReloadPlan} from '../reloader/reload-plan.ts';
import type {TransportWarning} from '../transports/create-transport.ts';
import {findReadableCookieFile, defaultCookieFiles} from '../transports/distribution/cookie.ts';
import {checkDistTls, configuredNode, distOptions} from '../transports/distribution/dist-options.ts';
import {DistTransport} from '../transports/distribution/dist-transport.ts';
import type {Transport} from '../transports/transport.ts';
import {ClusterMembers} from './cluster-members.ts';
import {ClusterReloader} from './cluster-reloader.ts';
import {ClusterTransport} from './cluster-transport.ts';

/** A member missing from the membership this long (at least) has left; a restart is shorter. */
const LEAVE_AFTER_MIN_MS = 60_000;

export interface OpenedCluster {
	/** The daemon's "node": every member's init step, and the configured node for questions outside batches. */
	readonly transport: Transport;
	/** What the daemon runs batches through. */
	readonly createReloader: (context: BatchReloaderContext) => BatchReloader;
}

/**
 * The cluster of `config.cluster`: one dist connection per member (the
 * configured cookie file, or the member's own), each with its own path map.
 * A cluster needs the dist transport: its members are asked for MD5s and
 * membership, which ctl and http cannot do. `plan` is the configuration's
 * reload plan: the cluster's record and every member's Reloader follow it.
 */
export async function openCluster(config: ResolvedConfig, plan: ReloadPlan, report: (record: DaemonRecord) => void, onWarning: TransportWarning): Promise<OpenedCluster> {
	const cluster = config.cluster;
	if (cluster === undefined) {
		throw new Error('openCluster needs config.cluster');
	}
	if (config.transport === 'ctl' || config.transport === 'http') {
		throw new ReloaderError('ERR_CONFIG_INVALID', `\`cluster\` needs transport dist, got \`transport: ${config.transport}\`: every member is asked for the MD5 of its disk and its loaded code, which ${config.transport} cannot do`, {
			hint: 'Set `transport: dist` (or auto with a readable cookie file), or remove `cluster` to reload the one node.',
		});
	}
	const primary = configuredNode(config);
	const cookies = new Map<string, string>();
	for (const entry of cluster.nodes === 'auto' ? [] : cluster.nodes) {
		if (typeof entry !== 'string' && entry.cookieFile !== undefined) {
			cookies.set(entry.node, entry.cookieFile);
		}
	}
	const sharedCookie = await findReadableCookieFile(config.cookieFile);
	const listed = cluster.nodes === 'auto' ? 'auto' : cluster.nodes.map(entry => typeof entry === 'string' ? entry : entry.node);
	for (const node of listed === 'auto' ? [primary] : listed) {
		if (!cookies.has(node) && sharedCookie === undefined) {
			throw new ReloaderError('ERR_COOKIE', `cluster member ${node} needs the cluster's Erlang cookie, and none of ${defaultCookieFiles().join(', ')} is readable by this user`, {
				hint: 'Set `cookieFile` (or the member\'s own `cluster.nodes[].cookieFile`) to the cookie file the members share.',
			});
		}
	}
	await checkDistTls(config);
	let index: BeamIndex | undefined;
	let primaryEbin: string | undefined;
	const members: ClusterMembers = new ClusterMembers({
		primary,
		// The configured node is a member even if a list leaves it out: it is the one the daemon was pointed at.
		nodes: listed === 'auto' ? 'auto' : [...new Set([primary, ...listed])],
		paths: config.paths,
		connect: (node, paths) => new DistTransport(distOptions(config, {node, cookieFile: cookies.get(node) ?? sharedCookie ?? '', onWarning, paths})),
		// The daemon's update_info directory: the watched one holding ejabberd.beam, else the configured node's.
		reach: async signal => {
			const ejabberd = index?.get('ejabberd')?.path;
			if (ejabberd !== undefined) {
				return dirname(ejabberd);
			}
			primaryEbin ??= await members.get(primary)?.transport.codeDirectory(signal);
			return primaryEbin;
		},
		report,
		// A restart takes a member out of get_nodes() for a while; only a long absence is a departure.
		leaveAfterMs: Math.max(3 * cluster.pollMs, LEAVE_AFTER_MIN_MS),
	});
	return {
		transport: new ClusterTransport(members),
		createReloader: context => {
			index = context.index;
			return new ClusterReloader({...context, members, settings: cluster, plan});
		},
	};
}
