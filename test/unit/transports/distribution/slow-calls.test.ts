import {chmod, mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import test from 'ava';
import type {ExecutionContext} from 'ava';
import {atom, tuple} from '../../../../daemon/lib/erlang-term/index.ts';
import type {Term} from '../../../../daemon/lib/erlang-term/index.ts';
import {DistTransport} from '../../../../daemon/transports/distribution/dist-transport.ts';
import {startFakeNode} from '../../lib/erlang-dist/_fake-node.ts';

/*
 * Slow is not down, against the fake node: its update_info answers late,
 * and it counts how many run at once. Times are small and real; nothing
 * asserts a duration, only what happened and in which order.
 */

const NODE = 'fake@127.0.0.1';
const COOKIE = 'FAKECOOKIEVALUE';

interface ScanNode {
	/** How long the next update_info/update takes on the node. */
	scanMs: number;
	/** The node answers erlang:node/0. */
	alive: boolean;
	running: number;
	maxRunning: number;
	scans: number;
	finished: number;
}

const sleep = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms));

async function setup(t: ExecutionContext, options: {callTimeoutMs: number; slowCallLimitMs?: number; scanMs: number}) {
	const dir = await mkdtemp(join(tmpdir(), 'reloader-slow-calls-'));
	t.teardown(() => rm(dir, {recursive: true, force: true}));
	const ebin = join(dir, 'ebin');
	await rm(ebin, {recursive: true, force: true});
	await import('node:fs/promises').then(async fs => {
		await fs.mkdir(ebin);
		await Promise.all(['a', 'b', 'c'].map(name => fs.writeFile(join(ebin, `${name}.beam`), 'x')));
	});
	const cookieFile = join(dir, 'cookie');
	await writeFile(cookieFile, COOKIE);
	await chmod(cookieFile, 0o400);
	const node: ScanNode = {scanMs: options.scanMs, alive: true, running: 0, maxRunning: 0, scans: 0, finished: 0};
	const scan = async (): Promise<Term> => {
		node.scans++;
		node.running++;
		node.maxRunning = Math.max(node.maxRunning, node.running);
		await sleep(node.scanMs);
		node.running--;
		node.finished++;
		return tuple(atom('ok'), ebin, [], [], [], atom('ok'));
	};
	const fake = await startFakeNode(t, {
		name: NODE,
		cookie: COOKIE,
		rex: (_module, fn) => {
			switch (fn) {
				case 'node': return node.alive ? atom(NODE) : undefined;
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

const eventually = async (condition: () => boolean): Promise<void> => {
	for (const start = Date.now(); !condition(); await sleep(5)) {
		if (Date.now() - start > 10_000) {
			throw new Error('condition not met within 10 s');
		}
	}
};

test('a scan slower than callTimeoutMs on a node that answers is waited for and reported slow, with the ebin\'s size', async t => {
	const {node, transport, warnings, ebin} = await setup(t, {callTimeoutMs: 200, scanMs: 10});
	// A first, fast scan tells the transport which directory update_info reads.
	t.is((await transport.updateInfo()).dir, ebin);
	node.scanMs = 1000;
	const info = await transport.updateInfo();
	t.deepEqual(info.modules, []);
	await eventually(() => warnings.some(warning => warning.message.includes('the last one took')));
	const slow = warnings.find(warning => warning.message.includes('the last one took'));
	t.is(slow?.code, 'WARN_NODE_SLOW');
	t.regex(slow?.message ?? '', new RegExp(`^ejabberd_update:update_info/0 on fake@127\\.0\\.0\\.1 is slow, not down: no answer after \\d+ ms \\(the last one took \\d+ ms\\); ${ebin.replaceAll('/', '\\/')} holds 3 beams, and ejabberd_update reads every one\\. The node answers a liveness check \\(erlang:node/0\\), so it is waited for, up to 600000 ms in all`));
});

test('the expected time grows with the measured scan: a scan as slow as the last one is not reported again', async t => {
	const {node, transport, warnings} = await setup(t, {callTimeoutMs: 100, scanMs: 400});
	await transport.updateInfo();
	await eventually(() => warnings.length === 1);
	// Now expected: 3 × ~400 ms.
	await transport.updateInfo();
	await transport.update(['mod_a']);
	t.is(warnings.length, 1);
	t.is(node.maxRunning, 1);
});

test('at most one scan runs on the node: concurrent update_info and update calls wait their turn', async t => {
	const {node, transport} = await setup(t, {callTimeoutMs: 100, scanMs: 150});
	const results = await Promise.allSettled([transport.updateInfo(), transport.updateInfo(), transport.update(['mod_a']), transport.updateInfo()]);
	t.is(node.maxRunning, 1);
	t.is(node.scans, 4);
	t.deepEqual(results.map(result => result.status), ['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
});

test('a node that does not answer the liveness check either is down: ERR_NODE_DOWN, retryable', async t => {
	const {node, transport} = await setup(t, {callTimeoutMs: 100, scanMs: 5000});
	await transport.incarnation();
	node.alive = false;
	const error = await t.throwsAsync(transport.updateInfo());
	t.like(error, {code: 'ERR_NODE_DOWN', retryable: true});
	t.regex(error?.message ?? '', /ejabberd_update:update_info\/0 on fake@127\.0\.0\.1 did not answer within \d+ ms, and the node does not answer a liveness check either \(erlang:node\/0 on fake@127\.0\.0\.1 did not answer within 100 ms\)/);
});

test('a scan given up on at the limit keeps its lane: the next one is not started while it runs, and runs once it is done', async t => {
	const {node, transport, warnings} = await setup(t, {callTimeoutMs: 100, slowCallLimitMs: 300, scanMs: 1200});
	const first = await t.throwsAsync(transport.updateInfo());
	t.like(first, {code: 'ERR_NODE_TIMEOUT', retryable: true});
	t.regex(first?.message ?? '', /ejabberd_update:update_info\/0 on fake@127\.0\.0\.1 is still running after \d+ ms although the node answers; stopped waiting at the limit of 300 ms/);
	t.is(warnings[0]?.code, 'WARN_NODE_SLOW');
	// Still running on the node: a second scan is refused, not started.
	const second = await t.throwsAsync(transport.updateInfo());
	t.like(second, {code: 'ERR_NODE_BUSY', retryable: true});
	t.regex(second?.message ?? '', /ejabberd_update:update_info\/0 on fake@127\.0\.0\.1 was not started: ejabberd_update:update_info\/0, started \d+ ms ago, is still running there/);
	t.is(node.scans, 1);
	await eventually(() => node.finished === 1);
	node.scanMs = 10;
	t.deepEqual((await transport.updateInfo()).modules, []);
	t.is(node.scans, 2);
	t.is(node.maxRunning, 1);
});

test('a caller that aborts stops waiting; the scan it started still holds the lane until the node answers', async t => {
	const {node, transport} = await setup(t, {callTimeoutMs: 1000, scanMs: 300});
	const controller = new AbortController();
	const aborted = transport.updateInfo(controller.signal);
	await eventually(() => node.running === 1);
	controller.abort(new Error('stop'));
	await t.throwsAsync(aborted, {message: 'stop'});
	t.deepEqual((await transport.updateInfo()).modules, []);
	t.is(node.maxRunning, 1);
	t.is(node.scans, 2);
});
