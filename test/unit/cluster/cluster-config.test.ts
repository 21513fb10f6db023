import test, {type ExecutionContext} from 'ava';
import {ConfigError, resolveConfig} from '../../../daemon/config/resolve-config.ts';

function problems(t: ExecutionContext, input: unknown): {path: string; message: string; value: unknown}[] {
	const error = t.throws(() => resolveConfig(input, 'cluster.yml'), {instanceOf: ConfigError});
	t.is(error?.code, 'ERR_CONFIG_INVALID');
	return (error?.problems ?? []).map(({path, message, value}) => ({path, message, value}));
}

const NAME_MESSAGE = 'expected name@host, e.g. ejabberd@host2 or ejabberd@host2.example.net';

test('no `cluster`: the one node; `cluster: {}`: every member ejabberd lists, in parallel, with the documented defaults', t => {
	t.is(resolveConfig({}).cluster, undefined);
	const {cluster} = resolveConfig({cluster: {}});
	t.deepEqual(cluster, {nodes: 'auto', strategy: 'parallel', syncTimeoutMs: 30_000, onLag: 'fail', pollMs: 5000});
	t.true(Object.isFrozen(cluster));
});

test('a list of members: names, or {node, cookieFile}; the other keys as given', t => {
	const {cluster} = resolveConfig({cluster: {nodes: ['ejabberd@host1', {node: 'ejabberd@host2.example.net', cookieFile: '/etc/ejabberd/host2.cookie'}, {node: 'ejabberd_3@10.0.0.3'}], strategy: 'rolling', syncTimeoutMs: 0, onLag: 'loadReady', pollMs: 100}});
	t.deepEqual(cluster, {
		nodes: ['ejabberd@host1', {node: 'ejabberd@host2.example.net', cookieFile: '/etc/ejabberd/host2.cookie'}, {node: 'ejabberd_3@10.0.0.3'}],
		strategy: 'rolling',
		syncTimeoutMs: 0,
		onLag: 'loadReady',
		pollMs: 100,
	});
});

test('a bad member name is named by its index, with what a name looks like', t => {
	t.deepEqual(problems(t, {cluster: {nodes: ['ejabberd@host1', 'host2', {node: 'ejabberd host3'}, 5]}}), [
		{path: 'cluster.nodes[1]', message: NAME_MESSAGE, value: 'host2'},
		{path: 'cluster.nodes[2].node', message: NAME_MESSAGE, value: 'ejabberd host3'},
		{path: 'cluster.nodes[3]', message: 'expected string or object', value: 5},
	]);
	const error = t.throws(() => resolveConfig({cluster: {nodes: ['host2']}}, 'cluster.yml'), {instanceOf: ConfigError});
	t.regex(error?.message ?? '', /cluster\.nodes\[0\]: expected name@host, e\.g\. ejabberd@host2 or ejabberd@host2\.example\.net, got `"host2"` \(string\)/);
});

test('nodes is `auto` or a non-empty list', t => {
	t.deepEqual(problems(t, {cluster: {nodes: 'all'}}), [{path: 'cluster.nodes', message: 'expected "auto" or array', value: 'all'}]);
	t.deepEqual(problems(t, {cluster: {nodes: []}}).map(({path}) => path), ['cluster.nodes']);
});

test('strategy and onLag are enums, pollMs at least 100 ms, unknown keys refused; every problem at once', t => {
	const found = problems(t, {cluster: {strategy: 'serial', onLag: 'ignore', pollMs: 5, syncTimeoutMs: -1, node: 'a@h'}});
	t.deepEqual(found.map(({path}) => path).sort(), ['cluster.node', 'cluster.onLag', 'cluster.pollMs', 'cluster.strategy', 'cluster.syncTimeoutMs']);
	t.regex(found.find(({path}) => path === 'cluster.strategy')?.message ?? '', /"parallel"\|"rolling"/);
	t.regex(found.find(({path}) => path === 'cluster.onLag')?.message ?? '', /"fail"\|"loadReady"/);
	t.is(found.find(({path}) => path === 'cluster.node')?.message, 'unknown key');
});

test('other unions read as well: watch is `auto` or a list of directories', t => {
	t.deepEqual(problems(t, {watch: 'none'}), [{path: 'watch', message: 'expected "auto" or array', value: 'none'}]);
	t.deepEqual(problems(t, {watch: ['/ebin', '']}).map(({path}) => path), ['watch[1]']);
});

test('cluster over ctl or http is refused at once (exit 2), naming the option and what to do', t => {
	for (const transport of ['ctl', 'http'] as const) {
		const error = t.throws(() => resolveConfig({transport, cluster: {}}), {code: 'ERR_CONFIG_INVALID'});
		t.regex(error?.message ?? '', new RegExp(`cluster needs the dist transport \\(transport: ${transport} cannot ask each member`));
		t.regex(error?.message ?? '', /remove cluster to reload the one node/);
	}
	t.notThrows(() => resolveConfig({transport: 'dist', cluster: {}}));
});
