import {Buffer} from 'node:buffer';
import {chmod, mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import test from 'ava';
import {ReloaderError} from '../../../daemon/errors.ts';
import {HttpTransport, type HttpTransportOptions} from '../../../daemon/transports/http/http-transport.ts';
import {json, startFakeApi, type Answer, type FakeApi} from './fake-api.ts';

const PASSWORD = 's3cret-Pa55';
const ENCODED = Buffer.from(`admin@localhost:${PASSWORD}`).toString('base64');
let dir = '';

test.before(async () => {
	dir = await mkdtemp(join(tmpdir(), 'reloader-http-'));
});

test.after.always(async () => {
	await rm(dir, {recursive: true, force: true});
});

async function withApi(t: {teardown: (fn: () => Promise<void>) => void}, answer: Answer): Promise<FakeApi> {
	const api = await startFakeApi(answer);
	t.teardown(() => api.close());
	return api;
}

function transport(api: FakeApi, options: Partial<HttpTransportOptions> = {}): HttpTransport {
	return new HttpTransport({url: api.url, timeoutMs: 30_000, node: 'test@localhost', ...options});
}

async function passwordFile(name: string, mode = 0o600, content = `${PASSWORD}\n`): Promise<string> {
	const file = join(dir, name);
	await writeFile(file, content);
	await chmod(file, mode);
	return file;
}

// fetch rejects with the signal's reason, a DOMException, which ava's throwsAsync does not take for an Error.

/** Everything an error shows: message, hint and the messages of its causes. */
function shown(error: unknown): string {
	const parts: string[] = [];
	for (let current = error; current instanceof Error; current = current.cause) {
		parts.push(current.message, (current as Partial<ReloaderError>).hint ?? '', JSON.stringify(current));
	}
	return parts.join('\n');
}

test('updateInfo posts `{}` to update_list and keeps the module names', async t => {
	const api = await withApi(t, json(200, ['mod_a', 'not a name', 'reload_probe']));
	const info = await transport(api).updateInfo();
	t.deepEqual(info.modules, ['mod_a', 'reload_probe']);
	t.is(info.raw, '["mod_a","not a name","reload_probe"]');
	t.is(api.seen.length, 1);
	t.like(api.seen[0], {method: 'POST', path: '/api/update_list', body: '{}'});
	t.is(api.seen[0]?.headers['content-type'], 'application/json');
	t.is(api.seen[0]?.headers.authorization, undefined);
});

test('ensureUpdaterLoaded goes through update_list, then reads the version from status when allowed', async t => {
	const api = await withApi(t, json(200, []));
	t.deepEqual(await transport(api).ensureUpdaterLoaded(), {method: 'mod_http_api update_list', wasLoaded: undefined, versions: {}});
	t.deepEqual(api.seen.map(request => request.path), ['/api/update_list', '/api/status']);
	const running = await withApi(t, (request, response) => json(200, request.path.endsWith('/status') ? 'The node n@localhost is started. Status: started  ejabberd 24.12-3+deb13u2 is running in that node' : [])(request, response));
	t.deepEqual((await transport(running).ensureUpdaterLoaded()).versions, {ejabberd: '24.12-3+deb13u2'});
	const refused = await withApi(t, (request, response) => (request.path.endsWith('/status') ? json(403, {status: 'error', code: 32, message: 'AccessRules'}) : json(200, []))(request, response));
	t.deepEqual((await transport(refused).ensureUpdaterLoaded()).versions, {}, 'a status the api_permissions refuse is an unknown version, not a failed init');
});

test('update reads 24.12\'s answers (23.01 answers "")', async t => {
	const api = await withApi(t, (request, response) => json(200, JSON.parse(request.body).module === 'mod_a' ? 'Updated: mod_a' : 'Not updated: mod_b')(request, response));
	const outcome = await transport(api).update(['mod_a', 'mod_b']);
	t.deepEqual(Object.fromEntries(outcome.said ?? []), {mod_a: 'updated', mod_b: 'notUpdated'});
	t.is(outcome.raw, '"Updated: mod_a"\n"Not updated: mod_b"');
});

test('update sends one request per module, in order, and reports no result', async t => {
	const api = await withApi(t, json(200, ''));
	const outcome = await transport(api, {url: `${api.url}/`}).update(['mod_b', 'mod_a', 'Elixir.Foo']);
	t.deepEqual(api.seen.map(request => [request.path, JSON.parse(request.body) as unknown]), [
		['/api/update', {module: 'mod_b'}],
		['/api/update', {module: 'mod_a'}],
		['/api/update', {module: 'Elixir.Foo'}],
	]);
	t.is(outcome.result, undefined);
	t.is(outcome.raw, '""\n""\n""');
});

test('a wrong answer shape is ERR_NODE_COMMAND', async t => {
	const api = await withApi(t, json(200, {modules: ['mod_a']}));
	const error = await t.throwsAsync(transport(api).updateInfo(), {instanceOf: ReloaderError});
	t.is(error?.code, 'ERR_NODE_COMMAND');
});

for (const names of [['mod_a', 'all'], ['mod_a', 'bad name'], ['../../etc/passwd'], [''], ['1abc']]) {
	test(`refuses ${JSON.stringify(names)} before any request`, async t => {
		const api = await withApi(t, json(200, ''));
		const error = await t.throwsAsync(transport(api).update(names), {instanceOf: ReloaderError});
		t.is(error?.code, 'ERR_MODULE_NAME');
		t.is(api.seen.length, 0);
	});
}

test('basic auth: the header carries user and password, read from the file once', async t => {
	const api = await withApi(t, json(200, []));
	const file = await passwordFile('once');
	const http = transport(api, {user: 'admin@localhost', passwordFile: file});
	await http.updateInfo();
	await writeFile(file, 'changed\n');
	await http.update(['mod_a']);
	t.deepEqual(api.seen.map(request => request.headers.authorization), [`Basic ${ENCODED}`, `Basic ${ENCODED}`]);
});

test('a password file open to others gives one warning, naming the file only', async t => {
	const api = await withApi(t, json(200, []));
	const file = await passwordFile('open', 0o644);
	const warnings: string[] = [];
	const http = transport(api, {user: 'admin@localhost', passwordFile: file, onWarning: message => warnings.push(message)});
	await http.updateInfo();
	await http.updateInfo();
	t.is(warnings.length, 1);
	t.true(warnings[0]?.includes(file));
	t.false(warnings[0]?.includes(PASSWORD));
});

test('an unreadable password file fails before any request, names the file, and is read again next time', async t => {
	const api = await withApi(t, json(200, []));
	const file = join(dir, 'later');
	const http = transport(api, {user: 'admin@localhost', passwordFile: file});
	const error = await t.throwsAsync(http.updateInfo(), {instanceOf: ReloaderError});
	t.is(error?.code, 'ERR_CONFIG_READ');
	t.true(error?.message.includes(file));
	t.is(api.seen.length, 0);
	await passwordFile('later');
	await http.updateInfo();
	t.is(api.seen[0]?.headers.authorization, `Basic ${ENCODED}`);
});

test('user without passwordFile, or the reverse, is a config error at construction', t => {
	const base = {url: 'http://127.0.0.1:5280/api', timeoutMs: 1000, node: 'x'};
	for (const options of [{user: 'admin@localhost'}, {passwordFile: '/x'}, {user: 'a:b@localhost', passwordFile: '/x'}]) {
		const error = t.throws(() => new HttpTransport({...base, ...options}), {instanceOf: ReloaderError});
		t.is(error?.code, 'ERR_CONFIG_INVALID');
	}
});

for (const [status, body] of [[401, {status: 'error', code: 10, message: 'You are not authorized to call this command.'}], [403, {status: 'error', code: 32, message: 'AccessRules: Account does not have the right to perform the operation.'}], [500, {status: 'error', message: 'badarg'}]] as const) {
	test(`no error shows the password (${status})`, async t => {
		const api = await withApi(t, json(status, body));
		const http = transport(api, {user: 'admin@localhost', passwordFile: await passwordFile(`shown-${status}`)});
		for (const attempt of [http.updateInfo(), http.update(['mod_a'])]) {
			const error = await t.throwsAsync(attempt, {instanceOf: ReloaderError});
			t.true(error?.message.includes(String(status)));
			t.false(shown(error).includes(PASSWORD));
			t.false(shown(error).includes(ENCODED));
		}
	});
}

test('a 403 says so and points at the api_permissions rule', async t => {
	const api = await withApi(t, json(403, {status: 'error', code: 32, message: 'AccessRules: Account does not have the right to perform the operation.'}));
	const error = await t.throwsAsync(transport(api).updateInfo(), {instanceOf: ReloaderError});
	t.is(error?.code, 'ERR_HTTP');
	t.false(error?.retryable);
	t.regex(error?.hint ?? '', /config\/ejabberd-http-api\.yml/);
});

test('a connection closed mid-request is ERR_NODE_DOWN, retryable', async t => {
	const api = await withApi(t, (_request, response) => {
		response.socket?.destroy();
	});
	const error = await t.throwsAsync(transport(api).updateInfo(), {instanceOf: ReloaderError});
	t.is(error?.code, 'ERR_NODE_DOWN');
	t.true(error?.retryable);
});

test('no answer within timeoutMs is ERR_NODE_TIMEOUT, retryable', async t => {
	const api = await withApi(t, () => undefined);
	const error = await t.throwsAsync(transport(api, {timeoutMs: 200}).updateInfo(), {instanceOf: ReloaderError});
	t.is(error?.code, 'ERR_NODE_TIMEOUT');
	t.true(error?.retryable);
});

test('the caller\'s abort comes back as its own AbortError', async t => {
	const api = await withApi(t, () => undefined);
	const controller = new AbortController();
	const pending = transport(api).updateInfo(controller.signal);
	await new Promise<void>(resolve => {
		const poll = setInterval(() => {
			if (api.seen.length > 0) {
				clearInterval(poll);
				resolve();
			}
		}, 10);
	});
	controller.abort();
	const error: unknown = await pending.then(() => undefined, (rejection: unknown) => rejection);
	t.is((error as {name?: string} | undefined)?.name, 'AbortError');
	t.false(error instanceof ReloaderError);
});

test('an already aborted signal sends nothing', async t => {
	const api = await withApi(t, json(200, []));
	const error: unknown = await transport(api).updateInfo(AbortSignal.abort()).then(() => undefined, (rejection: unknown) => rejection);
	t.is((error as {name?: string} | undefined)?.name, 'AbortError');
	t.is(api.seen.length, 0);
});
