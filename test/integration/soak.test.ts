import {execFile} from 'node:child_process';
import {mkdir, mkdtemp, readFile, rm, unlink, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {promisify} from 'node:util';
import test from 'ava';
import {appendFileSync as require_append} from 'node:fs';
import {resolveConfig} from '../../daemon/config/resolve-config.ts';
import {openDaemon} from '../support/open-daemon.ts';
import {nodeCall, withSandboxNode} from '../support/ejabberd.ts';
import {haltNode, resumeNode} from '../support/node-faults.ts';
import {RecordCollector, isBatch} from '../support/record-collector.ts';
import {waitUntil} from '../support/wait.ts';

/**
 * Soak: random install rounds mixing changed, identical, truncated and garbage
 * beams, with node outages in between (one round written while the node is
 * down). After every round, once the daemon is idle: no change lost (every
 * loaded module runs its newest complete beam), no partial load (every loaded
 * module answers), no spurious update (every update had a real change behind
 * it). Bounded in rounds and time; the seed is printed to replay a failure.
 */
const MODULES = Array.from({length: 8}, (_, index) => `soak_${index + 1}`);
const ROUNDS = 14;
const OUTAGE_ROUNDS = new Set([4, 9]);
const SEED = Number(process.env.SOAK_SEED ?? Date.now() % 1_000_000);

type Action = 'changed' | 'identical' | 'truncated' | 'garbage';

test('soak: random bursts and outages lose nothing, load nothing partial, update nothing spuriously', async t => {
	t.timeout(170_000);
	t.log(`seed ${SEED} (replay with SOAK_SEED=${SEED})`);
	const random = mulberry32(SEED);
	const node = await withSandboxNode(t);
	const buildDir = await mkdtemp(join(tmpdir(), 'reloader-soak-'));
	t.teardown(() => rm(buildDir, {recursive: true, force: true}));

	// Every version of every module, compiled up front: one erlc per version.
	const versions = ROUNDS + 2;
	const beams = new Map<string, Buffer>();
	const template = await readFile(new URL('../../fixtures/modules/generated.erl.template', import.meta.url), 'utf8');
	await Promise.all(Array.from({length: versions}, async (_, version) => {
		const dir = join(buildDir, `v${version}`);
		await mkdir(dir);
		const sources = await Promise.all(MODULES.map(async module => {
			const source = join(dir, `${module}.erl`);
			await writeFile(source, template.replaceAll('{{module}}', module).replaceAll('{{version}}', String(version)));
			return source;
		}));
		await promisify(execFile)('/usr/bin/erlc', ['-o', dir, ...sources]);
		for (const module of MODULES) {
			beams.set(`${module}@${version}`, await readFile(join(dir, `${module}.beam`)));
		}
	}));
	const beam = (module: string, version: number) => beams.get(`${module}@${version}`) ?? Buffer.alloc(0);
	const write = async (module: string, content: Buffer) => {
		const path = join(node.ebinDir, `${module}.beam`);
		await unlink(path).catch(() => undefined);
		await writeFile(path, content, {mode: 0o644});
	};

	// Newest complete version written per module, and whether a real change awaits its update.
	const newest = new Map(MODULES.map(module => [module, 0]));
	const pendingChange = new Map(MODULES.map(module => [module, false]));
	let nextVersion = 1;
	for (const module of MODULES) {
		await write(module, beam(module, 0));
	}
	const loadAll = () => nodeCall(node, `[code:ensure_loaded(M) || M <- [${MODULES.join(',')}]]`);
	await loadAll();

	const config = resolveConfig({transport: 'dist', node: node.node, cookieFile: node.cookieFile, watch: [node.ebinDir], debounceMs: 200, incompleteTimeoutMs: 500});
	const records = new RecordCollector();
	const trace = (line: unknown) => { if (process.env.SOAK_DEBUG) require_append('/tmp/soak-trace.log', `${Date.now() % 100000} ${JSON.stringify(line)}\n`); };
	const report0 = records.report;
	(records as any).report = (r: any) => { trace(r.event === 'batch' ? {id: r.id, updated: r.updated, unchanged: r.unchanged, notLoaded: r.notLoaded, deferred: r.deferred, failed: r.failed, listed: r.listed} : r); report0(r); };
	const daemon = await openDaemon(config, records.report);
	t.teardown(() => daemon.close('soak done'));
	await daemon.start();

	const totals = {lost: 0, partial: 0, spurious: 0, updated: 0, writes: 0};
	const idle = () => waitUntil(() => {
		const status = daemon.status();
		return status.connected && status.unsettledBeams === 0 && status.pendingChanges === 0 && status.queuedBatches === 0 && status.runningBatches === 0;
	}, 'the daemon is idle', 60_000);

	for (let round = 1; round <= ROUNDS; round++) {
		const outage = OUTAGE_ROUNDS.has(round);
		if (outage) {
			await haltNode(node);
		}
		const since = records.mark();
		const version = nextVersion++;
		const last = round === ROUNDS;
		for (const module of MODULES) {
			// The last round writes a complete new version of everything, so the end state is well defined.
			const action: Action | undefined = last ? 'changed' : random() < 0.6 ? pick(random, ['changed', 'changed', 'identical', 'truncated', 'garbage']) : undefined;
			if (action === undefined) {
				continue;
			}
			totals.writes++;
			trace({round, module, action, version});
			if (action === 'changed') {
				await write(module, beam(module, version));
				newest.set(module, version);
				pendingChange.set(module, true);
			} else if (action === 'identical') {
				await write(module, beam(module, newest.get(module) ?? 0));
			} else if (action === 'truncated') {
				const next = beam(module, version);
				await write(module, next.subarray(0, Math.floor(next.length * random())));
			} else {
				await write(module, Buffer.from(Array.from({length: 64 + Math.floor(random() * 512)}, () => Math.floor(random() * 256))));
			}
		}
		if (outage) {
			await resumeNode(node);
			// A fresh incarnation loads nothing until asked; load what can be loaded, as first use would.
			await waitUntil(() => daemon.status().connected, 'the daemon reconnected', 60_000);
			await loadAll();
			for (const module of MODULES) {
				pendingChange.set(module, false);
			}
		}
		trace({round, phase: 'wait idle'});
		await idle();
		trace({round, phase: 'idle'});

		for (const record of records.after(since).filter(isBatch)) {
			for (const module of record.updated) {
				totals.updated++;
				if (pendingChange.get(module) !== true) {
					totals.spurious++;
					t.log(`round ${round}: spurious update of ${module} in batch ${record.id}`);
				}
				pendingChange.set(module, false);
			}
			for (const module of record.notLoaded) {
				pendingChange.set(module, false);
			}
		}
		for (const module of MODULES) {
			if (!(await nodeCall(node, `code:is_loaded(${module})`)).startsWith('{file,')) {
				continue;
			}
			let answer: string;
			try {
				answer = await nodeCall(node, `${module}:version()`);
			} catch {
				answer = 'no answer';
			}
			if (!/^\d+$/.test(answer)) {
				totals.partial++;
				t.log(`round ${round}: ${module} loaded but answers ${answer}`);
			} else if (Number(answer) !== newest.get(module)) {
				totals.lost++;
				if (process.env.SOAK_DEBUG) t.log(JSON.stringify(records.records.filter(r => r.event !== 'batch' || JSON.stringify(r).includes(module)).map(r => r.event === 'batch' ? {id: r.id, updated: r.updated, unchanged: r.unchanged, notLoaded: r.notLoaded, deferred: r.deferred, failed: r.failed, listed: r.listed} : r)));
				t.log(`round ${round}: ${module} runs version ${answer}, newest complete is ${String(newest.get(module))}`);
			}
		}
	}

	t.log(`writes ${totals.writes}, updates ${totals.updated}, batches ${records.records.filter(isBatch).length}`);
	t.is(totals.lost, 0, 'lost');
	t.is(totals.partial, 0, 'partial loads');
	t.is(totals.spurious, 0, 'spurious updates');
	t.true(totals.updated > 0, 'the soak updated something');
});

function pick<T>(random: () => number, choices: readonly T[]): T {
	return choices[Math.floor(random() * choices.length)] as T;
}

/** A small seeded PRNG, so a failing soak can be replayed. */
function mulberry32(seed: number): () => number {
	let state = seed >>> 0;
	return () => {
		state = (state + 0x6D_2B_79_F5) >>> 0;
		let value = state;
		value = Math.imul(value ^ (value >>> 15), value | 1);
		value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
		return ((value ^ (value >>> 14)) >>> 0) / 4_294_967_296;
	};
}
