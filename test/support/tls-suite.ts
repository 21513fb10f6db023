import {mkdtemp, readFile, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import type {TestFn} from 'ava';
import {readBeamChunks} from '../../daemon/beam/beam-chunks.ts';
import {beamCodeMd5} from '../../daemon/beam/code-md5.ts';
import {resolveConfig} from '../../daemon/config/resolve-config.ts';
import type {UserConfig} from '../../daemon/config/schema.ts';
import type {Daemon} from '../../daemon/daemon.ts';
import {findEjabberdUser} from '../../daemon/ejabberd/ejabberd-install.ts';
import {ReloaderError} from '../../daemon/errors.ts';
import {DistClient, remoteFunction} from '../../daemon/lib/erlang-dist/index.ts';
import {atom, formatTerm, type Term} from '../../daemon/lib/erlang-term/index.ts';
import type {SandboxNode} from '../../daemon/sandbox/sandbox-node.ts';
import {runCtl, startTestNode, type EjabberdVersion} from './ejabberd.ts';
import {prepareEjabberd2412Root} from './ejabberd-2412.ts';
import {compileFixture, installBeam} from './fixtures.ts';
import {openDaemon} from './open-daemon.ts';
import {RecordCollector, batchWith} from './record-collector.ts';
import {createTlsCerts, type TlsCerts} from './tls-certs.ts';

/**
 * One node speaking TLS distribution only (-proto_dist inet_tls, verify_peer
 * and fail_if_no_peer_cert on its side), and the daemon talking to it over
 * dist with dist.tls. erl_call cannot speak TLS: the suite checks the node
 * with a TLS DistClient of its own. A 24.12 node runs chrooted: its TLS files
 * lie inside the root, named by the node's paths, and the daemon maps the
 * ebin with `paths`.
 */
export function defineTlsSuite(test: TestFn, ejabberd: EjabberdVersion): void {
	let certs: TlsCerts | undefined;
	let node: SandboxNode | undefined;
	let buildDir = '';
	const daemons: Daemon[] = [];

	test.serial.before(async () => {
		if (ejabberd === '24.12') {
			const root = await prepareEjabberd2412Root();
			certs = await createTlsCerts({owner: await findEjabberdUser(join(root, 'etc', 'passwd')), baseDir: join(root, 'compat'), toNodePath: path => path.slice(root.length)});
		} else {
			certs = await createTlsCerts({owner: await findEjabberdUser()});
		}
		node = await startTestNode({ejabberd, erlOptions: certs.erlOptions});
		buildDir = await mkdtemp(join(tmpdir(), 'reloader-tls-build-'));
	});

	test.after.always(async () => {
		await Promise.all(daemons.map(daemon => daemon.close('tests done')));
		await node?.stop();
		await certs?.remove();
		if (buildDir !== '') {
			await rm(buildDir, {recursive: true, force: true});
		}
	});

	function running(): {node: SandboxNode; certs: TlsCerts} {
		if (node === undefined || certs === undefined) {
			throw new Error('The TLS node is not running: the before hook failed');
		}
		return {node, certs};
	}

	/** A TLS client of the test's own, to load and inspect modules on the node. */
	async function nodeCallTls(module: string, fn: string, args: Term[]): Promise<Term> {
		const {node: target, certs: files} = running();
		const client = new DistClient({
			node: target.node,
			cookie: (await readFile(target.cookieFile, 'latin1')).trimEnd(),
			tls: {cert: await readFile(files.client.certFile), key: await readFile(files.client.keyFile), ca: await readFile(files.caFile)},
			connectTimeoutMs: 60_000,
			callTimeoutMs: 60_000,
			allow: [remoteFunction('code', 'ensure_loaded', 1), remoteFunction('erlang', 'get_module_info', 2), remoteFunction('reload_probe', 'version', 0)],
		});
		try {
			return await client.call(module, fn, args);
		} finally {
			await client.close();
		}
	}

	function daemonConfig(tls: NonNullable<NonNullable<UserConfig['dist']>['tls']> | undefined) {
		const {node: target} = running();
		return resolveConfig({
			transport: 'dist', node: target.node, cookieFile: target.cookieFile, watch: [target.ebinDir],
			debounceMs: 300, maxWaitMs: 3000, dist: {connectTimeoutMs: 60_000, ...(tls === undefined ? {} : {tls})},
			paths: target.root === undefined ? [] : [{local: target.hostEbinDir, node: target.nodeEbinDir}],
		});
	}

	test.serial('the node runs TLS distribution, and ejabberdctl (its control node gets ERL_OPTIONS too) still reaches it', async t => {
		const {node: target} = running();
		const status = await runCtl(target, 'status');
		t.is(status.code, 0, status.stderr || status.stdout);
		t.regex(status.stdout, /is started/);
	});

	test.serial('over TLS distribution, the daemon reloads a changed module, verified by its MD5 on the node', async t => {
		const {node: target, certs: files} = running();
		const v1 = await compileFixture('reload_probe', 1, await mkdtemp(join(buildDir, 'v1-')));
		const v2 = await compileFixture('reload_probe', 2, await mkdtemp(join(buildDir, 'v2-')));
		await installBeam(v1, target.ebinDir);
		t.is(formatTerm(await nodeCallTls('code', 'ensure_loaded', [atom('reload_probe')])), '{module,reload_probe}');
		t.is(await nodeCallTls('reload_probe', 'version', []), 1);

		const records = new RecordCollector();
		const daemon = await openDaemon(daemonConfig({certFile: files.client.certFile, keyFile: files.client.keyFile, caFile: files.caFile}), records.report);
		daemons.push(daemon);
		await daemon.start();
		await records.waitFor(record => record.event === 'init', {what: 'the init record'});

		const since = records.mark();
		await installBeam(v2, target.ebinDir);
		const batch = await records.waitFor(batchWith('reload_probe'), {since, what: 'a batch with reload_probe', timeoutMs: 90_000});
		t.deepEqual(batch.updated, ['reload_probe']);
		t.true(batch.ok);
		t.is(batch.verifiedBy, 'content');

		// Independently of the daemon: the code loaded on the node is v2's, by MD5.
		const loaded = await nodeCallTls('erlang', 'get_module_info', [atom('reload_probe'), atom('md5')]);
		t.true(Buffer.isBuffer(loaded));
		t.is((loaded as Buffer).toString('hex'), beamCodeMd5(readBeamChunks(await readFile(v2))));
		t.not((loaded as Buffer).toString('hex'), beamCodeMd5(readBeamChunks(await readFile(v1))));
		t.is(await nodeCallTls('reload_probe', 'version', []), 2);
	});

	test.serial('a client certificate from a CA the node does not trust: the node refuses it, and the daemon says so instead of hanging', async t => {
		const {certs: files, node: target} = running();
		const daemon = await openDaemon(daemonConfig({certFile: files.foreignClient.certFile, keyFile: files.foreignClient.keyFile, caFile: files.caFile}), () => undefined);
		daemons.push(daemon);
		const error = await t.throwsAsync(daemon.start(), {instanceOf: ReloaderError});
		t.is(error?.code, 'ERR_DIST_HANDSHAKE');
		t.false(error?.retryable);
		t.true(error?.message.startsWith(`TLS with ${target.node} at localhost:`), error?.message);
		t.regex(error?.message ?? '', /the node refused our client certificate \(TLS alert "unknown ca"\)/);
		t.regex(error?.hint ?? '', /cacertfile/);
	});

	test.serial('a CA that did not sign the node\'s certificate: certificate verify failed, naming the node', async t => {
		const {certs: files, node: target} = running();
		const daemon = await openDaemon(daemonConfig({certFile: files.client.certFile, keyFile: files.client.keyFile, caFile: files.otherCaFile}), () => undefined);
		daemons.push(daemon);
		const error = await t.throwsAsync(daemon.start(), {instanceOf: ReloaderError});
		t.is(error?.code, 'ERR_DIST_HANDSHAKE');
		t.regex(error?.message ?? '', new RegExp(`^TLS with ${target.node} at localhost:\\d+ failed: certificate verify failed for the node's certificate`));
	});

	test.serial('without dist.tls, the daemon is told the node runs TLS distribution', async t => {
		const daemon = await openDaemon(daemonConfig(undefined), () => undefined);
		daemons.push(daemon);
		const error = await t.throwsAsync(daemon.start(), {instanceOf: ReloaderError});
		t.is(error?.code, 'ERR_DIST_HANDSHAKE');
		t.regex(error?.message ?? '', /answered our handshake in TLS: it runs TLS distribution \(-proto_dist inet_tls\)/);
	});
}
