import {chmod, mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import test from 'ava';
import {resolveApiAccess} from '../../../daemon/api/api-access.ts';
import {startApiServer} from '../../../daemon/api/api-server.ts';
import {isLoopbackHost, parseListenAddress} from '../../../daemon/api/listen-address.ts';
import {resolveConfig} from '../../../daemon/config/resolve-config.ts';
import {ReloaderError} from '../../../daemon/errors.ts';
import {RecordBus} from '../../../daemon/record-bus.ts';
import {fakeDaemon} from './_fake-daemon.ts';

const TOKEN = 'f00dfeedf00dfeedf00dfeed';
let dir = '';

test.before(async () => {
	dir = await mkdtemp(join(tmpdir(), 'reloader-api-access-'));
});

test.after.always(async () => {
	await rm(dir, {recursive: true, force: true});
});

const apiConfig = (api: Record<string, unknown>) => resolveConfig({api}).api;
const ignore = () => undefined;
const LIMITS = {maxConnections: 256, maxEventStreams: 32, allowedHosts: [], allowedOrigins: []};

test('host:port and [v6]:port are parsed', t => {
	t.deepEqual(parseListenAddress('127.0.0.1:5290'), {host: '127.0.0.1', port: 5290});
	t.deepEqual(parseListenAddress('[::1]:80'), {host: '::1', port: 80});
	t.deepEqual(parseListenAddress('localhost:0'), {host: 'localhost', port: 0});
	const error = t.throws(() => parseListenAddress('127.0.0.1:70000'), {instanceOf: ReloaderError});
	t.is(error?.code, 'ERR_CONFIG_INVALID');
	t.regex(error?.message ?? '', /api\.listen.*`"127\.0\.0\.1:70000"`/);
});

test('only loopback addresses count as loopback', t => {
	for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', 'LOCALHOST', '::1', '::ffff:127.0.0.1']) {
		t.true(isLoopbackHost(host), host);
	}
	for (const host of ['0.0.0.0', '::', '10.0.0.1', '128.0.0.1', 'example.org', '127.0.0.1.example.org', '::ffff:10.0.0.1']) {
		t.false(isLoopbackHost(host), host);
	}
});

test('the default is 127.0.0.1:5290 without a token; disabled is no API', async t => {
	t.deepEqual(await resolveApiAccess(apiConfig({}), ignore), {address: {host: '127.0.0.1', port: 5290}, token: undefined, ...LIMITS});
	t.is(await resolveApiAccess(apiConfig({enabled: false, listen: '0.0.0.0:5290'}), ignore), undefined);
});

test('a non-loopback address without a token is refused, naming the address and what to set', async t => {
	for (const listen of ['0.0.0.0:5290', '[::]:5290', '192.168.1.10:80', 'myhost:5290']) {
		const error = await t.throwsAsync(resolveApiAccess(apiConfig({listen}), ignore), {instanceOf: ReloaderError});
		t.is(error?.code, 'ERR_CONFIG_INVALID', listen);
		t.regex(error?.message ?? '', /Refusing to serve the API on .* without a token/);
		t.regex(error?.hint ?? '', /api\.tokenFile/);
		t.regex(error?.hint ?? '', /api\.listen to 127\.0\.0\.1:\d+/);
	}
});

test('startApiServer refuses 0.0.0.0 without a token too, and nothing listens', async t => {
	const bus = new RecordBus();
	const error = await t.throwsAsync(startApiServer({access: {address: {host: '0.0.0.0', port: 0}, token: undefined}, daemon: fakeDaemon(), records: bus, version: '1'}), {instanceOf: ReloaderError});
	t.is(error?.code, 'ERR_CONFIG_INVALID');
	t.is(bus.size, 0);
});

test('a non-loopback address with a token (inline or from a file) is allowed', async t => {
	t.is((await resolveApiAccess(apiConfig({listen: '0.0.0.0:5290', token: TOKEN}), ignore))?.token, TOKEN);
	const file = join(dir, 'token');
	await writeFile(file, `  ${TOKEN}\n`, {mode: 0o600});
	await chmod(file, 0o600);
	const warnings: string[] = [];
	t.deepEqual(await resolveApiAccess(apiConfig({listen: '0.0.0.0:5290', tokenFile: file}), message => warnings.push(message)), {address: {host: '0.0.0.0', port: 5290}, token: TOKEN, ...LIMITS});
	t.deepEqual(warnings, []);
});

test('a token file open to others is used, with a warning naming the file and not the token', async t => {
	const file = join(dir, 'open-token');
	await writeFile(file, TOKEN);
	await chmod(file, 0o644);
	const warnings: string[] = [];
	t.is((await resolveApiAccess(apiConfig({tokenFile: file}), message => warnings.push(message)))?.token, TOKEN);
	t.is(warnings.length, 1);
	t.true(warnings[0]?.includes(file));
	t.regex(warnings[0] ?? '', /chmod 600/);
	t.false(warnings[0]?.includes(TOKEN));
});

test('an unreadable, empty, short or two-word token file is refused, naming the file and not its content', async t => {
	const missing = join(dir, 'missing');
	const unreadable = await t.throwsAsync(resolveApiAccess(apiConfig({tokenFile: missing}), ignore), {instanceOf: ReloaderError});
	t.is(unreadable?.code, 'ERR_CONFIG_READ');
	t.true(unreadable?.message.includes(missing));
	for (const [name, content, message] of [['empty', '\n \n', /is empty/], ['short', 'abc123', /has 6 characters; at least 16/], ['words', `${TOKEN} ${TOKEN}`, /contains whitespace/]] as const) {
		const file = join(dir, name);
		await writeFile(file, content, {mode: 0o600});
		const error = await t.throwsAsync(resolveApiAccess(apiConfig({tokenFile: file}), ignore), {instanceOf: ReloaderError});
		t.is(error?.code, 'ERR_CONFIG_INVALID', name);
		t.regex(error?.message ?? '', message);
		t.true(error?.message.includes(file));
		t.false(content.trim() !== '' && error?.message.includes(content.trim()), 'the content never appears');
	}
});

test('the limits and browser rules of api.* are handed on', async t => {
	const access = await resolveApiAccess(apiConfig({maxConnections: 10, maxEventStreams: 2, allowedHosts: ['box'], allowedOrigins: ['http://localhost:3000']}), ignore);
	t.like(access, {maxConnections: 10, maxEventStreams: 2, allowedHosts: ['box'], allowedOrigins: ['http://localhost:3000']});
});
