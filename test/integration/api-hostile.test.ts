import {spawn} from 'node:child_process';
import {chmod, mkdir, mkdtemp, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import test from 'ava';
import {resolveApiAccess} from '../../daemon/api/api-access.ts';
import {startApiServer, type ApiServer} from '../../daemon/api/api-server.ts';
import {resolveConfig} from '../../daemon/config/resolve-config.ts';
import type {Daemon} from '../../daemon/daemon.ts';
import {RecordBus} from '../../daemon/record-bus.ts';
import {findFreePort} from '../../daemon/sandbox/free-port.ts';
import {nodeCall, useSandboxNode} from '../support/ejabberd.ts';
import {compileGenerated, installBeam} from '../support/fixtures.ts';
import {openDaemon} from '../support/open-daemon.ts';
import {RecordCollector, batchWith, isBatch} from '../support/record-collector.ts';
import {rawRequest} from '../unit/api/_http.ts';

/**
 * Hostile callers of the daemon's HTTP API against a real node (issue 9, B F G H):
 * a flood of event streams, web pages of other sites, a hundred identical
 * requests, a body nested 30,000 deep. Loopback only, bounded in count and time.
 */

const MAX_CONNECTIONS = 24;
const MAX_EVENT_STREAMS = 8;
const FLOOD = 300;
const JSON_HEADERS = {'Content-Type': 'application/json'};

const getNode = useSandboxNode(test);
const records = new RecordCollector();
let daemon: Daemon | undefined;
/** With low limits, for the flood. */
let limited: ApiServer | undefined;
/** With the default limits, for everything else. */
let api: ApiServer | undefined;
let buildDir = '';

const versionIn = (module: string) => nodeCall(getNode(), `${module}:version()`);
const apiBatches = (since: number) => records.after(since).filter(record => isBatch(record) && record.trigger === 'api');
/** A loaded module whose beam on disk is newer than its code in the node (see api.test.ts). */
async function makeStale(module: string): Promise<void> {
	const node = getNode();
	const build = async (version: number) => {
		const dir = join(buildDir, `${module}-v${version}`);
		await mkdir(dir, {mode: 0o755});
		return compileGenerated(module, version, dir);
	};
	const [v1, v2] = await Promise.all([build(1), build(2)]);
	const since = records.mark();
	await installBeam(v2, node.ebinDir);
	await records.waitFor(batchWith(module), {since, what: `the notLoaded batch of ${module}`});
	await nodeCall(node, `{ok, B} = file:read_file("${v1}"), code:load_binary(${module}, "${join(node.ebinDir, `${module}.beam`)}", B)`);
}

test.serial.before(async () => {
	const node = getNode();
	buildDir = await mkdtemp(join(tmpdir(), 'reloader-api-hostile-'));
	await chmod(buildDir, 0o755);
	const config = resolveConfig({
		transport: 'dist', node: node.node, cookieFile: node.cookieFile, watch: [node.ebinDir],
		debounceMs: 200, maxWaitMs: 3000,
		api: {listen: `127.0.0.1:${await findFreePort()}`, maxConnections: MAX_CONNECTIONS, maxEventStreams: MAX_EVENT_STREAMS},
	});
	const bus = new RecordBus();
	bus.subscribe(records.report);
	daemon = await openDaemon(config, bus.publish);
	await daemon.start();
	const access = await resolveApiAccess(config.api, () => undefined);
	if (access === undefined) {
		throw new Error('the API is enabled in this config');
	}
	limited = await startApiServer({access, daemon, records: bus, report: bus.publish, version: 'test'});
	api = await startApiServer({access: {address: {host: '127.0.0.1', port: 0}, token: undefined}, daemon, records: bus, report: bus.publish, version: 'test'});
});

test.after.always(async () => {
	await limited?.close();
	await api?.close();
	await daemon?.close('tests done');
	if (buildDir !== '') {
		await rm(buildDir, {recursive: true, force: true});
	}
});

/**
 * The flood comes from another process, so that this process's descriptors
 * are the daemon's alone. It opens `count` connections asking for
 * GET /events, at most `parallel` connecting at once, keeps every one that
 * gets a stream, and reports what each got: 200, 503 (with its Retry-After),
 * or closed without an answer. It holds its streams until its stdin ends.
 */
const FLOOD_SCRIPT = `
const net = require('node:net');
const [port, count, parallel] = process.argv.slice(1).map(Number);
const outcomes = [];
const held = [];
let started = 0;
function next() {
	if (started >= count) return;
	started++;
	const socket = net.connect(port, '127.0.0.1');
	let text = '';
	let settled = false;
	const settle = outcome => {
		if (settled) return;
		settled = true;
		outcomes.push(outcome);
		if (outcome.status === 200) held.push(socket);
		if (outcomes.length === count) {
			process.stdout.write(JSON.stringify(outcomes) + '\\n');
		}
		next();
	};
	socket.on('connect', () => socket.write('GET /events HTTP/1.1\\r\\nHost: 127.0.0.1:' + port + '\\r\\n\\r\\n'));
	socket.on('data', chunk => {
		text += chunk;
		const end = text.indexOf('\\r\\n\\r\\n');
		if (end === -1) return;
		const head = text.slice(0, end);
		const status = Number(head.split(' ')[1]);
		const retryAfter = (/\\r\\nretry-after: *(\\S+)/i.exec(head) || [])[1];
		settle({status, retryAfter});
	});
	socket.on('error', () => settle({status: 0}));
	socket.on('close', () => settle({status: 0}));
}
for (let i = 0; i < parallel; i++) next();
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
`;

interface Outcome {
	readonly status: number;
	readonly retryAfter?: string;
}

/** Run a flood; resolves with each connection's outcome, and a function that lets go of the streams held. */
async function flood(port: number, count: number, parallel: number): Promise<{outcomes: Outcome[]; release: () => Promise<void>}> {
	const child = spawn(process.execPath, ['-e', FLOOD_SCRIPT, String(port), String(count), String(parallel)], {stdio: ['pipe', 'pipe', 'inherit']});
	const exited = new Promise<void>(resolve => {
		child.once('exit', () => resolve());
	});
	const release = async () => {
		child.stdin.end();
		await exited;
	};
	try {
		const line = await new Promise<string>((resolve, reject) => {
			let text = '';
			const timer = setTimeout(() => reject(new Error(`the flood did not finish within 60 s; got ${text.length} bytes`)), 60_000);
			child.stdout.on('data', (chunk: Buffer) => {
				text += chunk.toString();
				if (text.endsWith('\n')) {
					clearTimeout(timer);
					resolve(text);
				}
			});
			child.once('exit', code => reject(new Error(`the flood process exited (${code ?? 'signal'}) before reporting`)));
		});
		return {outcomes: JSON.parse(line) as Outcome[], release};
	} catch (error) {
		child.kill();
		throw error;
	}
}

/**
 * Another process samples this one's descriptors while `work` runs (this
 * process is busy serving the flood meanwhile): all of them, and the TCP
 * sockets on the API's port (the server's ends: not the probes' client ends,
 * the node connection or the children's stdio). Resolves with the peaks.
 */
async function peakFdsDuring<T>(port: number, work: () => Promise<T>): Promise<{result: T; peak: number; peakSockets: number}> {
	const child = spawn(process.execPath, ['-e', SAMPLER_SCRIPT, String(process.pid), String(port)], {stdio: ['pipe', 'pipe', 'inherit']});
	let text = '';
	child.stdout.on('data', (chunk: Buffer) => {
		text += chunk.toString();
	});
	const exited = new Promise<void>(resolve => {
		child.once('exit', () => resolve());
	});
	try {
		await new Promise<void>(resolve => {
			child.stdout.once('data', () => resolve());
		});
		const result = await work();
		child.stdin.end();
		await exited;
		const {all, sockets} = JSON.parse(text.trim().split('\n').at(-1) ?? '{}') as {all: number; sockets: number};
		return {result, peak: all, peakSockets: sockets};
	} finally {
		child.kill();
	}
}

const SAMPLER_SCRIPT = `
const fs = require('node:fs');
const [pid, port] = process.argv.slice(1).map(Number);
let all = 0, sockets = 0, running = true;
process.stdin.resume();
process.stdin.on('end', () => { running = false; });
function sample() {
	let fds = [];
	try { fds = fs.readdirSync('/proc/' + pid + '/fd'); } catch {}
	const inodes = new Set();
	for (const line of fs.readFileSync('/proc/' + pid + '/net/tcp', 'utf8').split('\\n').slice(1)) {
		const fields = line.trim().split(/\\s+/);
		if (fields.length > 9 && parseInt(fields[1].split(':')[1], 16) === port) inodes.add(fields[9]);
	}
	let onPort = 0;
	for (const fd of fds) {
		try {
			const match = /^socket:\\[(\\d+)\\]$/.exec(fs.readlinkSync('/proc/' + pid + '/fd/' + fd));
			if (match && inodes.has(match[1])) onPort++;
		} catch {}
	}
	all = Math.max(all, fds.length);
	sockets = Math.max(sockets, onPort);
}
sample();
process.stdout.write('ready\\n');
(function loop() {
	sample();
	if (running) setImmediate(loop);
	else process.stdout.write(JSON.stringify({all, sockets}) + '\\n');
})();
`;

const count = (outcomes: readonly Outcome[], status: number) => outcomes.filter(outcome => outcome.status === status).length;

test.serial('B: 300 GET /events against a cap of 8: 503 with Retry-After past it, /healthz answers 200 throughout, descriptors bounded', async t => {
	const url = limited?.url ?? '';
	const port = Number(new URL(url).port);
	const before = (await peakFdsDuring(port, async () => undefined));
	// Probes beside the flood, one after the other: every one must be answered 200, even when the flood's
	// connections fill api.maxConnections (a probe is answered past the limit too). A 503 says whose it is:
	// ERR_API_BUSY (the API's limit) or ERR_NODE_DOWN (the node).
	const probes: string[] = [];
	let probing = true;
	const prober = (async () => {
		while (probing) {
			const answer = await rawRequest(url, '/healthz');
			probes.push(answer.status === 200 ? '200' : `${answer.status} ${answer.json.error?.code ?? String(answer.json.code)}`);
		}
	})();
	const {result: paced, peak, peakSockets} = await peakFdsDuring(port, async () => flood(port, FLOOD, 16));
	probing = false;
	await prober;
	t.teardown(paced.release);
	t.is(count(paced.outcomes, 200), MAX_EVENT_STREAMS, JSON.stringify(paced.outcomes.slice(0, 20)));
	t.is(count(paced.outcomes, 503), FLOOD - MAX_EVENT_STREAMS, 'every connection past the cap got its 503');
	t.true(paced.outcomes.filter(outcome => outcome.status === 503).every(outcome => outcome.retryAfter !== undefined));
	t.true(probes.length > 0);
	t.deepEqual(new Set(probes), new Set(['200']), `/healthz answered ${JSON.stringify(probes.filter(probe => probe !== '200'))} among ${probes.length} during the flood`);
	// The streams are still held: /healthz and /status still answer.
	for (let index = 0; index < 10; index++) {
		t.is((await rawRequest(url, '/healthz')).status, 200);
	}
	t.is((await rawRequest(url, '/status')).status, 200);
	// The API holds at most 2 × maxConnections sockets, its listening one, and the one just accepted and being judged.
	const bound = 2 * MAX_CONNECTIONS + 2;
	t.true(peakSockets <= bound, `its sockets went from ${before.peakSockets} to ${peakSockets}`);

	// All at once now, on top of the held streams: nothing hangs, nothing past 2 × the cap is kept.
	const {result: burst, peak: burstPeak, peakSockets: burstPeakSockets} = await peakFdsDuring(port, async () => flood(port, FLOOD, FLOOD));
	t.teardown(burst.release);
	t.is(count(burst.outcomes, 200), 0, 'no stream past the cap');
	t.true(count(burst.outcomes, 503) >= MAX_CONNECTIONS - MAX_EVENT_STREAMS, `${count(burst.outcomes, 503)} answered 503`);
	t.is(count(burst.outcomes, 503) + count(burst.outcomes, 0), FLOOD);
	t.true(burstPeakSockets <= bound, `its sockets went from ${before.peakSockets} to ${burstPeakSockets}`);
	t.is((await rawRequest(url, '/healthz')).status, 200);
	t.log(`paced: ${count(paced.outcomes, 200)} streams held, ${count(paced.outcomes, 503)} × 503, /healthz 200 × ${probes.length} meanwhile; fds ${before.peak} → peak ${peak} (sockets ${before.peakSockets} → ${peakSockets})`);
	t.log(`burst: ${count(burst.outcomes, 503)} × 503, ${count(burst.outcomes, 0)} closed unanswered; fds peak ${burstPeak} (sockets ${burstPeakSockets})`);
	await paced.release();
	await burst.release();
});

test.serial('F: cross-site and foreign-Host requests run no batch; curl-like and same-origin ones do', async t => {
	const url = api?.url ?? '';
	const host = new URL(url).host;
	await makeStale('hostile_site');
	const since = records.mark();
	const crossSite = {Host: host, Origin: 'https://attacker.example', 'Sec-Fetch-Site': 'cross-site'};
	const formPost = await rawRequest(url, '/update-modules', {method: 'POST', headers: {...crossSite, 'Content-Type': 'text/plain;charset=UTF-8'}, body: '["hostile_site"]'});
	t.is(formPost.status, 403);
	t.is(formPost.json.error?.code, 'ERR_API_CROSS_SITE');
	const plainPost = await rawRequest(url, '/update-modules', {method: 'POST', headers: {'Content-Type': 'text/plain'}, body: '["hostile_site"]'});
	t.is(plainPost.status, 415);
	t.is(plainPost.json.error?.code, 'ERR_API_CONTENT_TYPE');
	const imgGet = await rawRequest(url, '/update-modules/all', {headers: {'Sec-Fetch-Site': 'cross-site', Referer: 'https://attacker.example/'}});
	t.is(imgGet.status, 403);
	const originGet = await rawRequest(url, '/update-modules/all', {headers: crossSite});
	t.is(originGet.status, 403);
	const rebound = await rawRequest(url, '/update-modules/all', {headers: {Host: 'attacker.example'}});
	t.is(rebound.status, 421);
	t.is(rebound.json.error?.code, 'ERR_API_HOST');
	const readBack = await rawRequest(url, '/status', {headers: {Host: `attacker.example:${new URL(url).port}`}});
	t.is(readBack.status, 421, 'a rebound page cannot read the status either');
	t.deepEqual(apiBatches(since), [], 'no batch ran');
	t.is(await versionIn('hostile_site'), '1');

	const curl = await rawRequest(url, '/update-modules', {method: 'POST', headers: JSON_HEADERS, body: '["hostile_site"]'});
	t.is(curl.status, 200);
	t.like(curl.json, {ok: true, updated: ['hostile_site']});
	t.is(await versionIn('hostile_site'), '2');
	const sameOrigin = await rawRequest(url, '/update-modules/all', {method: 'POST', headers: {...JSON_HEADERS, Origin: `http://${host}`, 'Sec-Fetch-Site': 'same-origin'}});
	t.is(sameOrigin.status, 200);
	t.is((await fetch(`${url}/update-modules/all`)).status, 200);
	t.is(apiBatches(since).length, 3);
});

test.serial('G: 100 concurrent GET /update-modules/all run at most 2 batches; each request gets 200 and one of them', async t => {
	const url = api?.url ?? '';
	await makeStale('hostile_many');
	const since = records.mark();
	const answers = await Promise.all(Array.from({length: 100}, async () => {
		const response = await fetch(`${url}/update-modules/all`);
		return {status: response.status, body: await response.json() as {batch: number; updated: string[]}};
	}));
	const batches = apiBatches(since);
	t.true(batches.length >= 1 && batches.length <= 2, `${batches.length} batches ran`);
	t.deepEqual(new Set(answers.map(answer => answer.status)), new Set([200]));
	const ids = new Set(batches.map(batch => isBatch(batch) ? batch.id : -1));
	t.true(answers.every(answer => ids.has(answer.body.batch)), 'every answer is one of the batches that ran');
	const updating = batches.find(batch => isBatch(batch) && batch.updated.includes('hostile_many'));
	t.true(answers.filter(answer => answer.body.batch === (updating as {id: number} | undefined)?.id).every(answer => answer.body.updated.includes('hostile_many')), 'the callers of one batch get its record');
	t.is(await versionIn('hostile_many'), '2');
	t.log(`100 concurrent requests: ${batches.length} batch(es), ${new Set(answers.map(answer => answer.body.batch)).size} distinct record(s) answered`);

	const named = records.mark();
	const posts = await Promise.all(Array.from({length: 100}, async () => (await fetch(`${url}/update-modules`, {method: 'POST', headers: JSON_HEADERS, body: '["hostile_many"]'})).status));
	t.deepEqual(new Set(posts), new Set([200]));
	t.true(apiBatches(named).length <= 2, `${apiBatches(named).length} batches for 100 identical POSTs`);
	t.log(`100 concurrent identical POSTs: ${apiBatches(named).length} batch(es)`);
});

test.serial('H: JSON nested 30,000 deep is 400 ERR_API_JSON_DEPTH, not 500, and runs nothing', async t => {
	const url = api?.url ?? '';
	const since = records.mark();
	for (const body of ['['.repeat(30_000) + ']'.repeat(30_000), `{"modules": ${'['.repeat(30_000)}"hostile_many"${']'.repeat(30_000)}}`]) {
		const answer = await rawRequest(url, '/update-modules', {method: 'POST', headers: JSON_HEADERS, body});
		t.is(answer.status, 400);
		t.is(answer.json.error?.code, 'ERR_API_JSON_DEPTH');
	}
	t.deepEqual(apiBatches(since), []);
	t.is((await rawRequest(url, '/healthz')).status, 200);
});
