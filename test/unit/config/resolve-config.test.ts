import test from 'ava';
import {ConfigError, resolveConfig} from '../../../daemon/config/resolve-config.ts';
import {mergeConfig} from '../../../daemon/config/load-config.ts';

test('an empty config resolves to the documented defaults, frozen', t => {
	const config = resolveConfig({});
	t.is(config.debounceMs, 300);
	t.is(config.maxWaitMs, 3000);
	t.is(config.transport, 'auto');
	t.is(config.watch, 'auto');
	t.deepEqual(config.ctl.command, ['ejabberdctl']);
	t.deepEqual(config.log, {level: 'info', format: 'pretty', maxSizeBytes: 10 * 1024 * 1024, maxFiles: 5});
	t.deepEqual(config.api, {enabled: true, listen: '127.0.0.1:5290', maxConnections: 256, maxEventStreams: 32, allowedHosts: [], allowedOrigins: []});
	t.is(config.purge, 'brutal');
	t.false(config.loadNew);
	t.is(config.node, undefined);
	t.true(Object.isFrozen(config));
	t.true(Object.isFrozen(config.ctl.command));
});

test('a full config is kept as given', t => {
	const config = resolveConfig({
		node: 'ejabberd@localhost',
		watch: ['/opt/ebin', '/opt/deps/ebin'],
		ctl: {command: ['ejabberdctl', '--config-dir', '/etc/x']},
		debounceMs: 100,
		maxWaitMs: 100,
		log: {format: 'json'},
	});
	t.deepEqual(config.watch, ['/opt/ebin', '/opt/deps/ebin']);
	t.deepEqual(config.ctl.command, ['ejabberdctl', '--config-dir', '/etc/x']);
	t.is(config.ctl.timeoutMs, 60_000);
	t.is(config.log.level, 'info');
	t.is(config.log.format, 'json');
});

test('every problem is listed at once, each with its key path and value', t => {
	const error = t.throws(() => resolveConfig({
		node: 'no-at-sign',
		transport: 'carrier-pigeon',
		watch: [],
		ctl: {command: 'ejabberdctl'},
		debounceMs: -1,
		log: {level: 'verbose'},
		debounce: 5,
	}, 'my.yml'), {instanceOf: ConfigError});
	t.is(error.code, 'ERR_CONFIG_INVALID');
	const paths = error.problems.map(problem => problem.path).sort();
	t.deepEqual(paths, ['ctl.command', 'debounce', 'debounceMs', 'log.level', 'node', 'transport', 'watch']);
	t.regex(error.message, /my\.yml \(7 problems\)/);
	t.regex(error.message, /debounceMs: .*got `-1` \(number\)/);
	t.regex(error.message, /transport: .*got `"carrier-pigeon"` \(string\)/);
	t.regex(error.message, /debounce: unknown key/);
	t.regex(error.message, /ctl\.command: .*got `"ejabberdctl"` \(string\)/);
});

test('nested paths name the array index', t => {
	const error = t.throws(() => resolveConfig({ctl: {command: ['ejabberdctl', 7]}}), {instanceOf: ConfigError});
	t.deepEqual(error.problems.map(problem => problem.path), ['ctl.command[1]']);
});

test('maxWaitMs below debounceMs is refused', t => {
	const error = t.throws(() => resolveConfig({debounceMs: 500, maxWaitMs: 100}), {instanceOf: ConfigError});
	t.deepEqual(error.problems.map(problem => problem.path), ['maxWaitMs']);
	t.regex(error.message, /at least debounceMs/);
});

test('flags override the file, nested keys merge one level', t => {
	const merged = mergeConfig({log: {level: 'warn', format: 'json'}, debounceMs: 100}, {log: {level: 'debug'}, debounceMs: undefined});
	t.deepEqual(merged, {log: {level: 'debug', format: 'json'}, debounceMs: 100});
});

test('the shipped example config is valid and spells out the defaults', async t => {
	const {loadConfig} = await import('../../../daemon/config/load-config.ts');
	const example = await loadConfig(new URL('../../../config/config.example.yml', import.meta.url).pathname);
	t.deepEqual(example, resolveConfig({}));
});

test('a bad token is named but never shown', t => {
	const error = t.throws(() => resolveConfig({api: {token: 'short-secret'}}), {instanceOf: ConfigError});
	t.deepEqual(error.problems.map(problem => problem.path), ['api.token']);
	t.false(error.message.includes('short-secret'));
	t.regex(error.message, /secret, not shown/);
});

test('api limits and browser rules: defaults, and each bad value named with its key', t => {
	t.like(resolveConfig({api: {}}).api, {maxConnections: 256, maxEventStreams: 32});
	t.deepEqual(resolveConfig({api: {allowedHosts: ['reloader.internal', 'box:8080', '[::1]:5290'], allowedOrigins: ['http://localhost:3000']}}).api.allowedOrigins, ['http://localhost:3000']);
	const error = t.throws(() => resolveConfig({api: {maxConnections: 1, allowedHosts: ['a b'], allowedOrigins: ['http://x.example/path', 'x.example']}}), {instanceOf: ConfigError});
	t.deepEqual(error.problems.map(problem => problem.path).sort(), ['api.allowedHosts[0]', 'api.allowedOrigins[0]', 'api.allowedOrigins[1]', 'api.maxConnections', 'api.maxEventStreams']);
	t.regex(error.message, /api\.allowedOrigins\[0\]: expected an origin, scheme:\/\/host\[:port\] without a path.*got `"http:\/\/x\.example\/path"`/);
	const streams = t.throws(() => resolveConfig({api: {maxConnections: 8, maxEventStreams: 8}}), {instanceOf: ConfigError});
	t.deepEqual(streams.problems.map(problem => problem.path), ['api.maxEventStreams']);
	t.regex(streams.message, /api\.maxEventStreams: must be less than api\.maxConnections \(8\).*got `8` \(number\)/);
});

for (const transport of ['ctl', 'http'] as const) {
	test(`options ${transport} cannot honour are config problems, each naming the option, the transport and what to change`, t => {
		const error = t.throws(() => resolveConfig({transport, purge: 'soft', loadNew: true}, 'test.yml'), {instanceOf: ConfigError, code: 'ERR_CONFIG_INVALID'});
		t.deepEqual(error?.problems.map(problem => problem.path), ['purge', 'loadNew']);
		t.regex(error?.message ?? '', new RegExp(`^Invalid configuration in test\\.yml \\(2 problems\\):\\n  - purge: soft needs the dist transport \\(transport: ${transport} cannot see which processes run old code\\): set transport: dist with a readable cookieFile, or remove purge: soft\\n  - loadNew: true needs the dist transport`));
	});
}

test('the same options with dist or auto resolve (auto warns when it falls back)', t => {
	t.is(resolveConfig({transport: 'dist', purge: 'soft', loadNew: true}).purge, 'soft');
	t.true(resolveConfig({transport: 'auto', purge: 'soft', loadNew: true}).loadNew);
});

test('a section left out resolves exactly as the empty section: each default is written once, on its field', t => {
	const omitted = resolveConfig({});
	const empty = resolveConfig({dist: {}, http: {}, ctl: {}, log: {}, api: {}});
	t.deepEqual(omitted, empty);
	t.like(omitted, {dist: {connectTimeoutMs: 5000, callTimeoutMs: 60_000}, http: {url: 'http://127.0.0.1:5280/api'}, ctl: {command: ['ejabberdctl']}, log: {level: 'info', maxFiles: 5}, api: {listen: '127.0.0.1:5290', maxConnections: 256, maxEventStreams: 32}});
});
