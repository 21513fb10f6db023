import {execFile} from 'node:child_process';
import {mkdtemp, rm, writeFile} from 'node:fs/promises';
import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http';
import type {AddressInfo} from 'node:net';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import test from 'ava';
import type {BatchRecord} from '../../daemon/reloader/batch-record.ts';
import type {DaemonRecord} from '../../daemon/records.ts';
import {CLI, CliProcess, runCli} from '../support/cli.ts';

// The built CLI runs here (`npm run build` first), against a stand-in for the
// daemon's `GET /events` that speaks its wire format.

const batch = (id: number, updated: readonly string[]): BatchRecord => ({
	event: 'batch',
	id,
	trigger: 'watch',
	node: 'ejabberd@localhost',
	transport: 'dist',
	versions: {ejabberd: '23.01-1', otp: '25'},
	ok: true,
	purge: 'brutal',
	retried: [],
	listed: updated,
	updated,
	unchanged: [],
	notLoaded: [],
	failed: [],
	deferred: [],
	outOfReach: [],
	heldBack: [],
	holders: [],
	killed: [],
	verifiedBy: 'content',
	unpurged: [],
	raw: {updateInfo: '', update: ''},
	durations: {waitMs: 301, updateInfoMs: 1.5, updateMs: 2.5, verifyMs: 0.5, totalMs: 4.5},
});

const init: DaemonRecord = {event: 'init', node: 'ejabberd@localhost', transport: 'dist', method: 'code:ensure_loaded', wasLoaded: false, versions: {ejabberd: '23.01-1', otp: '25'}, pending: [], durationMs: 2};

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

/** A server on `port` (0: any) whose `/events` answers with `handler`. */
async function startServer(port: number, handler: Handler): Promise<{server: Server; port: number; close(): Promise<void>}> {
	const server = createServer((request, response) => {
		if (request.url === '/events') {
			handler(request, response);
		} else {
			response.writeHead(404).end();
		}
	});
	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(port, '127.0.0.1', () => resolve());
	});
	return {
		server,
		port: (server.address() as AddressInfo).port,
		async close() {
			// Open event streams would keep `close` waiting forever.
			server.closeAllConnections();
			await new Promise(resolve => server.close(resolve));
		},
	};
}

/** The daemon's wire format: retry advice first, then one event per record. */
function streamRecords(records: readonly DaemonRecord[]): Handler {
	return (_request, response) => {
		response.writeHead(200, {'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache'});
		response.write('retry: 2000\n\n');
		for (const [index, record] of records.entries()) {
			response.write(`: ping\n\nid: ${index + 1}\nevent: ${record.event}\ndata: ${JSON.stringify(record)}\n\n`);
		}
	};
}

function startTail(args: readonly string[], t: {teardown(fn: () => void): void}): CliProcess {
	const cli = new CliProcess(['tail', ...args]);
	t.teardown(() => cli.kill());
	return cli;
}

test('tail prints one summary line per event, reconnects when the daemon comes back on the same port, and exits 0 on SIGINT', async t => {
	const first = await startServer(0, streamRecords([batch(3, ['mod_a']), init]));
	t.teardown(() => first.close());
	const cli = startTail(['--url', `http://127.0.0.1:${first.port}`], t);

	const line = await cli.waitForLine('stdout', line => line.includes('batch 3 (watch)'));
	t.regex(line, /^\d\d:\d\d:\d\d\.\d{3} info {2}batch 3 \(watch\) updated=\[mod_a\] wait=301ms/);
	await cli.waitForLine('stdout', line => line.includes('ejabberd_update was not loaded, now loaded on ejabberd@localhost'));

	// The daemon restarts: its stream ends, and it listens again on the same port.
	await first.close();
	await cli.waitForLine('stderr', line => line.includes('lost the event stream'));
	const second = await startServer(first.port, streamRecords([batch(4, ['mod_b'])]));
	t.teardown(() => second.close());
	await cli.waitForLine('stdout', line => line.includes('batch 4 (watch) updated=[mod_b]'));
	await cli.waitForLine('stderr', line => line.includes('reconnected'));
	t.is(cli.stderrLines.filter(line => line.includes('lost the event stream')).length, 1, 'an outage is said once');

	cli.child.kill('SIGINT');
	t.is(await cli.exited, 0);
});

test('tail waits for a daemon that is not up yet, saying so once', async t => {
	const placeholder = await startServer(0, streamRecords([]));
	const {port} = placeholder;
	await placeholder.close();
	const cli = startTail(['--url', `http://127.0.0.1:${port}/`], t);
	await cli.waitForLine('stderr', line => line.includes(`cannot reach the daemon at http://127.0.0.1:${port}/events`));
	const server = await startServer(port, streamRecords([batch(5, ['mod_c'])]));
	t.teardown(() => server.close());
	await cli.waitForLine('stdout', line => line.includes('batch 5 (watch) updated=[mod_c]'));
	t.is(cli.stderrLines.filter(line => line.includes('cannot reach')).length, 1);
	cli.child.kill('SIGTERM');
	t.is(await cli.exited, 0);
});

test('tail --json prints each record as the daemon sent it, one per line', async t => {
	const record = batch(3, ['mod_a']);
	const server = await startServer(0, streamRecords([record, init]));
	t.teardown(() => server.close());
	const cli = startTail(['--json', '--url', `http://127.0.0.1:${server.port}`], t);
	const line = await cli.waitForLine('stdout', line => line.includes('"event":"batch"'));
	t.deepEqual(JSON.parse(line), record);
	const initLine = await cli.waitForLine('stdout', line => line.includes('"event":"init"'));
	t.deepEqual(JSON.parse(initLine), init);
	cli.child.kill('SIGINT');
	t.is(await cli.exited, 0);
});

const requireToken = (token: string, then: Handler): Handler => (request, response) => {
	if (request.headers.authorization === `Bearer ${token}`) {
		then(request, response);
		return;
	}
	response.writeHead(401, {'Content-Type': 'application/json', 'WWW-Authenticate': 'Bearer realm="ejabberd-reloader"'});
	response.end(JSON.stringify({ok: false, error: {code: 'ERR_API_UNAUTHORIZED', message: 'This API requires a token and the request has no Authorization header', hint: 'x'}}));
};

test('a 401 ends tail with exit 1 and says what to do', async t => {
	const server = await startServer(0, requireToken('a-token-of-sixteen-chars', streamRecords([])));
	t.teardown(() => server.close());
	const result = await runCli(['tail', '--url', `http://127.0.0.1:${server.port}`], {timeoutMs: 60_000});
	t.is(result.code, 1, result.stderr);
	t.regex(result.stderr, /refused the event stream: http:\/\/127\.0\.0\.1:\d+\/events answered 401 Unauthorized: This API requires a token/);
	t.regex(result.stderr, /--token-file/);
});

test('the token comes from --token-file or EJABBERD_RELOADER_TOKEN_FILE, sent as a bearer token', async t => {
	const token = 'a-token-of-sixteen-chars';
	const dir = await mkdtemp(join(tmpdir(), 'reloader-tail-'));
	t.teardown(() => rm(dir, {recursive: true, force: true}));
	const tokenFile = join(dir, 'token');
	await writeFile(tokenFile, `${token}\n`, {mode: 0o600});
	const server = await startServer(0, requireToken(token, streamRecords([batch(6, ['mod_d'])])));
	t.teardown(() => server.close());

	const flag = startTail(['--url', `http://127.0.0.1:${server.port}`, '--token-file', tokenFile], t);
	await flag.waitForLine('stdout', line => line.includes('batch 6 (watch) updated=[mod_d]'));
	flag.child.kill('SIGINT');
	t.is(await flag.exited, 0);

	const wrong = join(dir, 'wrong');
	await writeFile(wrong, 'not-the-right-token-at-all\n', {mode: 0o600});
	const refused = await runCli(['tail', '--url', `http://127.0.0.1:${server.port}`, '--token-file', wrong], {timeoutMs: 60_000});
	t.is(refused.code, 1, refused.stderr);
	t.regex(refused.stderr, /not the daemon's/);
	t.false(refused.stderr.includes('not-the-right-token-at-all'), 'the token is never printed');

	// The same wrong file named by the environment: refused as a wrong token, not as a missing one.
	const fromEnv = await new Promise<{code: number | null; stderr: string}>(resolve => {
		execFile(process.execPath, [CLI, 'tail', '--url', `http://127.0.0.1:${server.port}`], {env: {...process.env, EJABBERD_RELOADER_TOKEN_FILE: wrong}, timeout: 60_000}, (error, _stdout, stderr) => {
			resolve({code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stderr});
		});
	});
	t.is(fromEnv.code, 1, fromEnv.stderr);
	t.regex(fromEnv.stderr, /not the daemon's/);
});
