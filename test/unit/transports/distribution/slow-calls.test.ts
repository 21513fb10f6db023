import {chmod, mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import test from 'ava';
import type {ExecutionContext} from 'ava';
import {atom, tuple} from '../../../../daemon/lib/erlang-term/index.ts';
import type {Term} from '../../../../daemon/lib/erlang-term/index.ts';
import {DistTransport} from '../../../../daemon/transports/distribution/dist-transport.ts';
import {waitUntil} from '../../../support/wait.ts';
import {startFakeNode} from '../../lib/erlang-dist/_fake-node.ts';

/*
 * Slow is not down, against the fake node: its update_info answers when the
 * test lets it (a held scan), and it counts how many scans run at once and
 * how often it was asked whether it is alive. Nothing asserts a duration.
 *
 * What a loaded machine may not break: a liveness check the test expects the
 * node to pass has callTimeoutMs to come back (SLOW_MS, a second: a stalled
 * event loop does not look like a dead node), and no scan's length is a
 * sleep racing a timeout: a scan ends when the test has seen what it waits
 * for and releases it.
 */

const NODE = 'fake@127.0.0.1';
const COOKIE = 'FAKECOOKIEVALUE';

/** callTimeoutMs where a scan is meant to turn slow: a held scan outlives it, a liveness check answers well within it. */
const SLOW_MS = 1000;
/** callTimeoutMs where nothing is meant to turn slow. */
const NEVER_SLOW_MS = 30_000;

interface ScanNode {
	/** The node answers erlang:node/0. */
	alive: boolean;
	/** Scans started from now on wait for release(). */
	hold(): void;
	/** The held scans answer, and later ones at once. */
	release(): void;
	running: number;
	maxRunning: number;
	scans: number;
	finished: number;
	/** When the last scan started on the node (performance.now()). */
	startedAt: number;
	/** Liveness checks (erlang:node/0) the node was asked. */
	probes: number;
}

async function setup(t: ExecutionContext, options: {callTimeoutMs: number; slowCallLimitMs?: number}) {
	const dir = await mkdtemp(join(tmpdir(), 'reloader-slow-calls-'));
	t.teardown(() => rm(dir, {recursive: true, force: true}));
	const ebin = join(dir, 'ebin');
	await mkdir(ebin);
	await Promise.all(['a', 'b', 'c'].map(name => writeFile(join(ebin, `${name}.beam`), 'x')));
	const cookieFile = join(dir, 'cookie');
	await writeFile(cookieFile, COOKIE);
	await chmod(cookieFile, 0o400);
	let held: Promise<void> = Promise.resolve();
	let release: () => void = () => undefined;
	const node: ScanNode = {
		alive: true, running: 0, maxRunning: 0, scans: 0, finished: 0, startedAt: 0, probes: 0,
		hold() {
			held = new Promise(resolve => {
				release = resolve;
			});
		},
		release: () => release(),
	};
	t.teardown(() => node.release());
	const scan = async (): Promise<Term> => {
		node.scans++;
		node.running++;
		node.maxRunning = Math.max(node.maxRunning, node.running);
		node.startedAt = performance.now();
		await held;
		node.running--;
		node.finished++;
		return tuple(atom('ok'), ebin, [], [], [], atom('ok'));
	};
	const fake = await startFakeNode(t, {
		name: NODE,
		cookie: COOKIE,
		rex: (_module, fn) => {
			switch (fn) {
				case 'node': {
					node.probes++;
					return node.alive ? atom(NODE) : undefined;
				}
				case 'update_info': return scan();
				case 'update': return scan().then(() => tuple(atom('ok'), []));
				default: return undefined;
			}
		},
	});
	const warnings: Array<{message: string; code: string | undefined}> = [];
	const transport = new DistTransport({
		node: NODE, cookieFile, port: fake.port, connectTimeoutMs: 5000, callTimeoutMs: options.callTimeoutMs, slowCallLimitMs: options.slowCallLimitMs,
		onWarning: (message, code) => warnings.push({message, code}),
	});
	t.teardown(() => transport.close());
	return {node, transport, warnings, ebin};
}

/** The slow-scan warning is told after the ebin's beams are counted: it may come a moment after the gate moved on. */
const slowWarning = async (warnings: ReadonlyArray<{code: string | undefined}>): Promise<void> => waitUntil(() => warnings.some(warning => warning.code === 'WARN_NODE_SLOW'), 'the transport warned that the scan is slow');

test('a scan slower than callTimeoutMs on a node that answers is waited for and reported slow, with the ebin\'s size', async t => {
	const {node, transport, warnings, ebin} = await setup(t, {callTimeoutMs: SLOW_MS});
	// A first, fast scan tells the transport which directory update_info reads.
	t.is((await transport.updateInfo()).dir, ebin);
	node.hold();
	const pending = transport.updateInfo();
	await slowWarning(warnings);
	node.release();
	t.deepEqual((await pending).modules, []);
	t.is(warnings.length, 1);
	t.is(warnings[0]?.code, 'WARN_NODE_SLOW');
	t.regex(warnings[0]?.message ?? '', new RegExp(`^ejabberd_update:update_info/0 on fake@127\\.0\\.0\\.1 is slow, not down: no answer after \\d+ ms \\(the last one took \\d+ ms\\); ${ebin.replaceAll('/', '\\/')} holds 3 beams, and ejabberd_update reads every one\\. The node answers a liveness check \\(erlang:node/0\\), so it is waited for, up to 600000 ms in all`));
});

test('the expected time grows with the measured scan: a scan as slow as the last one is not reported again', async t => {
	const {node, transport, warnings} = await setup(t, {callTimeoutMs: SLOW_MS});
	node.hold();
	const first = transport.updateInfo();
	await slowWarning(warnings);
	node.release();
	await first;
	// Measured: past callTimeoutMs and a liveness check, so the next scan is expected to take at least 3 × callTimeoutMs.
	const probes = node.probes;
	node.hold();
	const second = transport.updateInfo();
	// Past the point where the first one was found slow: without the measured time it would be checked and reported now.
	await waitUntil(() => node.scans === 2 && performance.now() - node.startedAt > SLOW_MS, 'the second scan has run longer than callTimeoutMs');
	node.release();
	await second;
	await transport.update(['mod_a']);
	t.is(node.probes, probes, 'no liveness check during the second scan or the update');
	t.is(warnings.length, 1);
	t.is(node.maxRunning, 1);
});

test('at most one scan runs on the node: concurrent update_info and update calls wait their turn', async t => {
	const {node, transport} = await setup(t, {callTimeoutMs: NEVER_SLOW_MS});
	node.hold();
	const calls = Promise.allSettled([transport.updateInfo(), transport.updateInfo(), transport.update(['mod_a']), transport.updateInfo()]);
	await waitUntil(() => node.scans === 1, 'the first scan started on the node');
	node.release();
	const results = await calls;
	t.is(node.maxRunning, 1);
	t.is(node.scans, 4);
	t.deepEqual(results.map(result => result.status), ['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
});

test('a node that does not answer the liveness check either is down: ERR_NODE_DOWN, retryable', async t => {
	const {node, transport} = await setup(t, {callTimeoutMs: 100});
	node.alive = false;
	node.hold();
	const error = await t.throwsAsync(transport.updateInfo());
	t.like(error, {code: 'ERR_NODE_DOWN', retryable: true});
	t.regex(error?.message ?? '', /ejabberd_update:update_info\/0 on fake@127\.0\.0\.1 did not answer within \d+ ms, and the node does not answer a liveness check either \(erlang:node\/0 on fake@127\.0\.0\.1 did not answer within 100 ms\)/);
});

test('a scan given up on at the limit keeps its lane: the next one is not started while it runs, and runs once it is done', async t => {
	// The limit leaves room for the liveness check (and the warning) before it, however late a timer fires.
	const {node, transport, warnings} = await setup(t, {callTimeoutMs: SLOW_MS, slowCallLimitMs: 3 * SLOW_MS});
	node.hold();
	const first = await t.throwsAsync(transport.updateInfo());
	t.like(first, {code: 'ERR_NODE_TIMEOUT', retryable: true});
	t.regex(first?.message ?? '', /ejabberd_update:update_info\/0 on fake@127\.0\.0\.1 is still running after \d+ ms although the node answers; stopped waiting at the limit of 3000 ms/);
	await slowWarning(warnings);
	t.is(warnings[0]?.code, 'WARN_NODE_SLOW');
	// Still running on the node: a second scan is refused, not started.
	const second = await t.throwsAsync(transport.updateInfo());
	t.like(second, {code: 'ERR_NODE_BUSY', retryable: true});
	t.regex(second?.message ?? '', /ejabberd_update:update_info\/0 on fake@127\.0\.0\.1 was not started: ejabberd_update:update_info\/0, started \d+ ms ago, is still running there/);
	t.is(node.scans, 1);
	node.release();
	await waitUntil(() => node.finished === 1, 'the first scan answered');
	// Its measured time (3 × it is past the limit now) sets the next scan's timeouts: whole milliseconds, or the dist client refuses the call.
	t.deepEqual((await transport.updateInfo()).modules, []);
	t.is(node.scans, 2);
	t.is(node.maxRunning, 1);
});

test('a caller that aborts stops waiting; the scan it started still holds the lane until the node answers', async t => {
	const {node, transport} = await setup(t, {callTimeoutMs: NEVER_SLOW_MS});
	node.hold();
	const controller = new AbortController();
	const aborted = transport.updateInfo(controller.signal);
	await waitUntil(() => node.running === 1, 'the scan started on the node');
	controller.abort(new Error('stop'));
	await t.throwsAsync(aborted, {message: 'stop'});
	const next = transport.updateInfo();
	node.release();
	t.deepEqual((await next).modules, []);
	t.is(node.maxRunning, 1);
	t.is(node.scans, 2);
});
