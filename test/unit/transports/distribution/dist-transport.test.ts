import {chmod, mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import test from 'ava';
import type {ExecutionContext} from 'ava';
import {ReloaderError, isRetryable} from '../../../../daemon/errors.ts';
import {DistError} from '../../../../daemon/lib/erlang-dist/index.ts';
import {atom, tuple} from '../../../../daemon/lib/erlang-term/index.ts';
import {DistTransport} from '../../../../daemon/transports/distribution/dist-transport.ts';
import {startFakeNode} from '../../lib/erlang-dist/_fake-node.ts';
import type {FakeNodeOptions} from '../../lib/erlang-dist/_fake-node.ts';

const NODE = 'fake@127.0.0.1';
const COOKIE = 'FAKECOOKIEVALUE';

async function cookieFile(t: ExecutionContext, cookie: string | undefined, mode = 0o400): Promise<string> {
	const dir = await mkdtemp(join(tmpdir(), 'reloader-dist-transport-'));
	t.teardown(() => rm(dir, {recursive: true, force: true}));
	const file = join(dir, 'cookie');
	if (cookie !== undefined) {
		await writeFile(file, `${cookie}\n`);
		await chmod(file, mode);
	}
	return file;
}

async function setup(t: ExecutionContext, node: Partial<FakeNodeOptions> = {}, cookie: {value?: string | undefined; mode?: number} = {value: COOKIE}) {
	const fake = await startFakeNode(t, {
		name: NODE,
		cookie: COOKIE,
		rex: (_module, fn) => (fn === 'is_loaded' ? atom('false') : fn === 'ensure_loaded' ? tuple(atom('module'), atom('ejabberd_update')) : fn === 'get_key' ? tuple(atom('ok'), '23.01-1') : fn === 'system_info' ? '25' : undefined),
		...node,
	});
	const warnings: string[] = [];
	const file = await cookieFile(t, cookie.value, cookie.mode);
	const transport = new DistTransport({node: NODE, cookieFile: file, port: fake.port, connectTimeoutMs: 5000, callTimeoutMs: 5000, onWarning: message => warnings.push(message)});
	t.teardown(() => transport.close());
	return {fake, transport, warnings, file};
}

test('calls go through; the cookie file is read by the transport and named in nothing but errors', async t => {
	const {transport, warnings} = await setup(t);
	t.deepEqual(await transport.ensureUpdaterLoaded(), {method: 'code:ensure_loaded', wasLoaded: false, versions: {ejabberd: '23.01-1', otp: '25'}});
	t.deepEqual(warnings, []);
	t.is(transport.incarnation(), 1000);
});

test('a wrong cookie: the library\'s ERR_DIST_HANDSHAKE becomes a ReloaderError naming the file, the DistError as cause', async t => {
	const {transport, file} = await setup(t, {}, {value: 'THEWRONGONE'});
	const error = await t.throwsAsync(transport.ensureUpdaterLoaded(), {instanceOf: ReloaderError});
	t.like(error, {code: 'ERR_DIST_HANDSHAKE', retryable: false});
	t.is(error?.message, `${NODE} closed the connection during the handshake: the cookie in ${file} does not match the node's`);
	t.true(error?.cause instanceof DistError);
	t.false(`${error?.message} ${error?.hint}`.includes('THEWRONGONE'));
});

test('a node that goes away: ERR_NODE_DOWN, retryable, as the daemon\'s retry loop expects', async t => {
	const {fake, transport} = await setup(t, {rex: () => undefined});
	const pending = transport.updateInfo();
	for (let tries = 0; fake.connections[0]?.messages.length !== 1 && tries < 1000; tries++) {
		await new Promise(resolve => setTimeout(resolve, 5));
	}
	fake.connections[0]?.socket.destroy();
	const error = await t.throwsAsync(pending, {instanceOf: ReloaderError});
	t.like(error, {code: 'ERR_NODE_DOWN', retryable: true});
	t.true(isRetryable(error));
});

test('a node that never answers the handshake: ERR_NODE_TIMEOUT, retryable', async t => {
	const fake = await startFakeNode(t, {name: NODE, cookie: COOKIE, answer: false});
	const transport = new DistTransport({node: NODE, cookieFile: await cookieFile(t, COOKIE), port: fake.port, connectTimeoutMs: 100, callTimeoutMs: 5000});
	t.teardown(() => transport.close());
	const error = await t.throwsAsync(transport.updateInfo(), {instanceOf: ReloaderError});
	t.like(error, {code: 'ERR_NODE_TIMEOUT', retryable: true});
});

test('a cookie file open to others: a warning on connect, never the cookie', async t => {
	const {transport, warnings} = await setup(t, {}, {value: COOKIE, mode: 0o644});
	await transport.ensureUpdaterLoaded();
	t.is(warnings.length, 1);
	t.regex(warnings[0] ?? '', /chmod 400/);
	t.false(warnings[0]?.includes(COOKIE));
});

test('a missing cookie file: the app\'s own ERR_COOKIE, unchanged', async t => {
	const {transport} = await setup(t, {}, {value: undefined});
	await t.throwsAsync(transport.ensureUpdaterLoaded(), {instanceOf: ReloaderError, code: 'ERR_COOKIE'});
});

test('an invalid node name: ERR_CONFIG_INVALID from the constructor', t => {
	t.throws(() => new DistTransport({node: 'nohost', cookieFile: '/nonexistent', connectTimeoutMs: 100, callTimeoutMs: 100}), {instanceOf: ReloaderError, code: 'ERR_CONFIG_INVALID'});
});
