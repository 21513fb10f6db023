import test from 'ava';
import {ClusterMembers} from '../../../daemon/cluster/cluster-members.ts';
import type {MemberTransport} from '../../../daemon/cluster/cluster-member.ts';
import {ReloaderError} from '../../../daemon/errors.ts';
import type {DaemonRecord} from '../../../daemon/records.ts';
import {DIST_CAPABILITIES} from '../../../daemon/transports/capabilities.ts';

/** What the fake cluster says: who each node lists, and who is up. */
class FakeCluster {
	readonly up = new Set<string>();
	/** Nodes that refuse the daemon (a wrong cookie): not retryable. */
	readonly refusing = new Set<string>();
	readonly lists = new Map<string, string[]>();
	readonly disconnect = new Map<string, (reason: string) => void>();

	transport(node: string): MemberTransport {
		const fail = () => {
			if (this.refusing.has(node)) {
				throw new ReloaderError('ERR_COOKIE', `${node} refused our cookie`);
			}
			if (!this.up.has(node)) {
				throw new ReloaderError('ERR_NODE_DOWN', `${node} is down`, {retryable: true});
			}
		};
		const never = async (): Promise<never> => {
			throw new Error('not used by membership');
		};
		return {
			kind: 'dist',
			node,
			capabilities: DIST_CAPABILITIES,
			ensureUpdaterLoaded: async () => {
				fail();
				return {method: 'fake', wasLoaded: true, versions: {ejabberd: '23.01'}};
			},
			updateInfo: async () => {
				fail();
				return {modules: [], dir: '/ebin', raw: '[]'};
			},
			codeDirectory: async () => {
				fail();
				return '/ebin';
			},
			clusterNodes: async () => {
				fail();
				return this.lists.get(node) ?? [node];
			},
			incarnation: () => 1,
			onDisconnect: listener => {
				this.disconnect.set(node, listener);
			},
			close: async () => undefined,
			update: never,
			moduleStates: never,
			codeLocations: never,
			loadBeam: never,
			oldCodeHolders: never,
			compileModule: never,
		};
	}
}

function setup(options: {nodes?: 'auto' | string[]; leaveAfterMs?: number} = {}) {
	const cluster = new FakeCluster();
	const records: DaemonRecord[] = [];
	const told: Array<[string, string]> = [];
	const members = new ClusterMembers({
		primary: 'a@h',
		nodes: options.nodes ?? 'auto',
		paths: [],
		connect: node => cluster.transport(node),
		reach: async () => '/ebin',
		report: record => records.push(record),
		leaveAfterMs: options.leaveAfterMs ?? 0,
	});
	members.onMember((node, why) => told.push([node, why]));
	return {cluster, records, told, members};
}

/** Members a@h and b@h, both up and listed, ready. */
async function twoReady(options: {leaveAfterMs?: number} = {}) {
	const context = setup(options);
	context.cluster.up.add('a@h').add('b@h');
	context.cluster.lists.set('a@h', ['a@h', 'b@h']);
	await context.members.ready();
	return context;
}

const nodeEvents = (records: readonly DaemonRecord[]) => records.flatMap(record => record.event === 'node' ? [`${record.node} ${record.state}`] : []);

test('auto: the members listed at the first read are members, not joins; one listed later joins and is told', async t => {
	const {cluster, records, told, members} = setup();
	cluster.up.add('a@h').add('b@h');
	cluster.lists.set('a@h', ['a@h', 'b@h']);
	await members.ready();
	t.deepEqual(members.list().map(member => member.node), ['a@h', 'b@h']);
	t.deepEqual(told, []);

	cluster.up.add('c@h');
	cluster.lists.set('a@h', ['a@h', 'b@h', 'c@h']);
	await members.refresh();
	t.deepEqual(members.list().map(member => member.node), ['a@h', 'b@h', 'c@h']);
	t.deepEqual(told, [['c@h', 'join']]);
	t.deepEqual(nodeEvents(records), ['c@h joined']);
});

test('a member that drops is reported down once, and told when it answers again (reconnect)', async t => {
	const {cluster, records, told, members} = await twoReady();
	cluster.up.delete('b@h');
	cluster.disconnect.get('b@h')?.('closed');
	await members.refresh();
	t.false(members.get('b@h')?.connected);
	cluster.up.add('b@h');
	await members.refresh();
	t.true(members.get('b@h')?.connected);
	t.deepEqual(told, [['b@h', 'reconnect']]);
	t.deepEqual(nodeEvents(records), ['b@h down', 'b@h up']);
});

test('no member reachable: ready() throws ERR_NODE_DOWN (retryable), naming each', async t => {
	const {members} = setup({nodes: ['a@h', 'b@h']});
	const error = await t.throwsAsync(members.ready());
	t.is((error as ReloaderError).code, 'ERR_NODE_DOWN');
	t.true((error as ReloaderError).retryable);
	t.regex(error?.message ?? '', /a@h: .*down.*b@h: .*down/);
});

test('a reachable member missing from the membership stays while it still lists the cluster itself (its ejabberd restarting)', async t => {
	const {cluster, records, members} = await twoReady({leaveAfterMs: 0});
	cluster.lists.set('a@h', ['a@h']);
	cluster.lists.set('b@h', ['a@h', 'b@h']);
	await members.refresh();
	t.truthy(members.get('b@h'));
	t.deepEqual(nodeEvents(records), []);
});

test('a reachable member missing past leaveAfterMs that no longer lists the cluster has left', async t => {
	const {cluster, records, members} = await twoReady({leaveAfterMs: 0});
	cluster.lists.set('a@h', ['a@h']);
	cluster.lists.set('b@h', ['b@h']);
	await members.refresh();
	t.is(members.get('b@h'), undefined);
	t.deepEqual(nodeEvents(records), ['b@h left']);
});

test('a member missing for less than leaveAfterMs stays', async t => {
	const {cluster, records, members} = await twoReady({leaveAfterMs: 3_600_000});
	cluster.lists.set('a@h', ['a@h']);
	cluster.lists.set('b@h', ['b@h']);
	await members.refresh();
	await members.refresh();
	t.truthy(members.get('b@h'));
	t.deepEqual(nodeEvents(records), []);
});

test('a member that refuses us (wrong cookie) is reported once, not at every poll; with no member connected, ready() throws the refusal itself', async t => {
	const {cluster, records, members} = setup({nodes: ['a@h', 'b@h']});
	cluster.refusing.add('a@h').add('b@h');
	const error = await t.throwsAsync(members.ready());
	t.is((error as ReloaderError).code, 'ERR_COOKIE');
	await members.refresh();
	await members.refresh();
	const problems = records.flatMap(record => record.event === 'error' ? [record.message] : []);
	t.deepEqual(problems.filter(message => message.includes('a@h')).length, 1, problems.join('\n'));
	t.deepEqual(problems.filter(message => message.includes('b@h')).length, 1, problems.join('\n'));

	cluster.refusing.delete('b@h');
	cluster.up.add('b@h');
	await members.ready();
	t.true(members.get('b@h')?.connected);
	t.false(members.get('a@h')?.connected);
});
