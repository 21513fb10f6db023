import {execFile} from 'node:child_process';
import {chmod, copyFile, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {promisify} from 'node:util';
import test from 'ava';
import type {ExecutionContext} from 'ava';
import {counter} from '../../../../daemon/batcher/batch-ids.ts';
import {resolveConfig} from '../../../../daemon/config/resolve-config.ts';
import {ReloaderError} from '../../../../daemon/errors.ts';
import {openPipeline} from '../../../../daemon/service/open-pipeline.ts';
import {PipelineCheckError} from '../../../../daemon/service/pipeline-error.ts';
import {atom, tuple} from '../../../../daemon/lib/erlang-term/index.ts';
import {createTransport} from '../../../../daemon/transports/create-transport.ts';
import {DistTransport} from '../../../../daemon/transports/distribution/dist-transport.ts';
import {MAX_CERT_FILE_BYTES, checkTlsFiles, readTlsFiles, type DistTlsFiles} from '../../../../daemon/transports/distribution/tls-files.ts';
import {createTlsCerts, type TlsCerts} from '../../../support/tls-certs.ts';
import {startFakeNode} from '../../lib/erlang-dist/_fake-node.ts';

let certs: TlsCerts | undefined;
let files: DistTlsFiles;

test.before(async () => {
	certs = await createTlsCerts();
	files = {certFile: certs.client.certFile, keyFile: certs.client.keyFile, caFile: certs.caFile};
});

test.after.always(async () => {
	await certs?.remove();
});

async function scratch(t: ExecutionContext): Promise<string> {
	const dir = await mkdtemp(join(tmpdir(), 'reloader-tls-files-'));
	t.teardown(() => rm(dir, {recursive: true, force: true}));
	return dir;
}

test('the three PEM files are read; a key of mode 600 gives no warning', async t => {
	const {tls, warnings} = await readTlsFiles(files);
	t.regex(String(tls.cert), /BEGIN CERTIFICATE/);
	t.regex(String(tls.key), /BEGIN PRIVATE KEY/);
	t.regex(String(tls.ca), /BEGIN CERTIFICATE/);
	t.deepEqual(warnings, []);
	await t.notThrowsAsync(checkTlsFiles(files, 'ejabberd@localhost'));
});

test('a missing file is ERR_CONFIG_READ naming the option and the file', async t => {
	const error = await t.throwsAsync(readTlsFiles({...files, caFile: '/nonexistent/ca.pem'}), {instanceOf: ReloaderError});
	t.is(error?.code, 'ERR_CONFIG_READ');
	t.regex(error?.message ?? '', /^Cannot read the TLS CA file \/nonexistent\/ca\.pem \(dist\.tls\.caFile\): ENOENT/);
});

test('every bad file is listed at once', async t => {
	const error = await t.throwsAsync(readTlsFiles({certFile: '/nonexistent/c.pem', keyFile: '/nonexistent/k.pem', caFile: '/nonexistent/a.pem'}), {instanceOf: ReloaderError});
	t.is(error?.code, 'ERR_CONFIG_READ');
	t.regex(error?.message ?? '', /dist\.tls: 3 problems:\n.*dist\.tls\.certFile.*\n.*dist\.tls\.keyFile.*\n.*dist\.tls\.caFile/);
});

test('a certificate chain larger than a secret file may be (4 KiB) is read; one past 64 KiB is refused unread', async t => {
	const dir = await scratch(t);
	const pem = await readFile(files.certFile, 'latin1');
	const chain = join(dir, 'chain.pem');
	await writeFile(chain, pem.repeat(Math.ceil(8192 / pem.length)));
	t.regex(String((await readTlsFiles({...files, certFile: chain})).tls.cert), /BEGIN CERTIFICATE/);
	const huge = join(dir, 'huge.pem');
	await writeFile(huge, pem.repeat(Math.ceil((MAX_CERT_FILE_BYTES + 1) / pem.length)));
	const error = await t.throwsAsync(readTlsFiles({...files, caFile: huge}), {instanceOf: ReloaderError});
	t.regex(error?.message ?? '', /TLS CA file .*huge\.pem \(dist\.tls\.caFile\): it holds .*more than the 65536 bytes .*it was not read/);
});

test('a FIFO named as the key is refused, not opened', async t => {
	const dir = await scratch(t);
	const fifo = join(dir, 'key.pem');
	await promisify(execFile)('mkfifo', [fifo]);
	const error = await t.throwsAsync(readTlsFiles({...files, keyFile: fifo}), {instanceOf: ReloaderError});
	t.regex(error?.message ?? '', /TLS private key file .* \(dist\.tls\.keyFile\): it is a FIFO, not a regular file/);
});

test('a key file that holds no PEM key is refused without quoting it', async t => {
	const dir = await scratch(t);
	const key = join(dir, 'key.pem');
	await writeFile(key, 'SECRETSTUFF\n', {mode: 0o600});
	const error = await t.throwsAsync(readTlsFiles({...files, keyFile: key}), {instanceOf: ReloaderError});
	t.is(error?.code, 'ERR_CONFIG_INVALID');
	t.regex(error?.message ?? '', /dist\.tls\.keyFile\) holds no PEM private key/);
	t.false(error?.message.includes('SECRETSTUFF'));
});

test('a key readable by others gives the chmod warning', async t => {
	const dir = await scratch(t);
	const key = join(dir, 'key.pem');
	await copyFile(files.keyFile, key);
	await chmod(key, 0o644);
	const {warnings} = await readTlsFiles({...files, keyFile: key});
	t.is(warnings.length, 1);
	t.regex(warnings[0] ?? '', /TLS private key file .* is open to its group and others .*pass for this daemon.*chmod 400/);
});

test('a key that is not the certificate\'s is refused at the check, naming the files', async t => {
	const error = await t.throwsAsync(checkTlsFiles({...files, keyFile: certs?.foreignClient.keyFile ?? ''}, 'ejabberd@localhost'), {instanceOf: ReloaderError});
	t.is(error?.code, 'ERR_CONFIG_INVALID');
	t.regex(error?.message ?? '', /^dist\.tls: the certificate .*client\.pem, key .*foreign-client\.key and CA .*ca\.pem cannot be used together: .*key values mismatch/);
});

test('createTransport refuses a dist.tls file it cannot read (at start), before any connection', async t => {
	const config = resolveConfig({transport: 'dist', cookieFile: '/nonexistent/cookie', dist: {tls: {...files, certFile: '/nonexistent/cert.pem'}}});
	const error = await t.throwsAsync(createTransport(config, () => undefined), {instanceOf: ReloaderError});
	t.is(error?.code, 'ERR_CONFIG_READ');
	t.regex(error?.message ?? '', /dist\.tls\.certFile/);
});

test('a reload\'s pipeline check (openPipeline) lists a bad dist.tls file as a config problem', async t => {
	const dir = await scratch(t);
	const config = resolveConfig({transport: 'dist', cookieFile: '/nonexistent/cookie', watch: [dir], dist: {tls: {...files, keyFile: '/nonexistent/key.pem'}}});
	const error = await t.throwsAsync(openPipeline(config, {report: () => undefined, nextId: counter(), probe: true}), {instanceOf: PipelineCheckError});
	t.is(error?.code, 'ERR_CONFIG_READ');
	t.regex(error?.message ?? '', /Cannot read the TLS private key file \/nonexistent\/key\.pem \(dist\.tls\.keyFile\)/);
});

test('with good files the dist transport is built (the files are read again on each connect)', async t => {
	const transport = await createTransport(resolveConfig({transport: 'dist', cookieFile: '/nonexistent/cookie', dist: {tls: files}}), () => undefined);
	t.teardown(() => transport.close());
	t.is(transport.kind, 'dist');
});

/** A DistTransport with dist.tls files against a fake node speaking TLS distribution, named by IP (the node certificate's IP entry). */
async function tlsTransport(t: ExecutionContext, tlsFiles: DistTlsFiles) {
	const node = 'fake@127.0.0.1';
	const fake = await startFakeNode(t, {
		name: node, cookie: 'FAKECOOKIE',
		rex: (_module, fn) => (fn === 'is_loaded' ? atom('false') : fn === 'ensure_loaded' ? tuple(atom('module'), atom('ejabberd_update')) : fn === 'get_key' ? tuple(atom('ok'), '23.01-1') : fn === 'system_info' ? '25' : undefined),
		tls: {cert: await readFile(certs?.node.certFile ?? ''), key: await readFile(certs?.node.keyFile ?? ''), ca: await readFile(files.caFile), requestCert: true, rejectUnauthorized: true},
	});
	const dir = await scratch(t);
	const cookieFile = join(dir, 'cookie');
	await writeFile(cookieFile, 'FAKECOOKIE\n', {mode: 0o400});
	const warnings: string[] = [];
	const transport = new DistTransport({node, cookieFile, port: fake.port, tls: tlsFiles, connectTimeoutMs: 10_000, callTimeoutMs: 10_000, onWarning: message => warnings.push(message)});
	t.teardown(() => transport.close());
	return {transport, warnings, fake};
}

test('the transport reaches a TLS node with the files, and passes on the key file\'s mode warning', async t => {
	const dir = await scratch(t);
	const key = join(dir, 'key.pem');
	await copyFile(files.keyFile, key);
	await chmod(key, 0o640);
	const {transport, warnings, fake} = await tlsTransport(t, {...files, keyFile: key});
	t.is((await transport.ensureUpdaterLoaded()).method, 'code:ensure_loaded');
	t.is(fake.connections.length, 1);
	t.is(warnings.length, 1);
	t.regex(warnings[0] ?? '', /TLS private key file .*key\.pem is open to its group/);
});

test('the files are read on each connect: one gone by then is an ERR_CONFIG_READ naming the option, not a node that is down', async t => {
	const dir = await scratch(t);
	const ca = join(dir, 'ca.pem');
	await copyFile(files.caFile, ca);
	const {transport} = await tlsTransport(t, {...files, caFile: ca});
	await rm(ca);
	const error = await t.throwsAsync(transport.ensureUpdaterLoaded(), {instanceOf: ReloaderError});
	t.is(error?.code, 'ERR_CONFIG_READ');
	t.false(error?.retryable);
	t.regex(error?.message ?? '', /Cannot read the TLS CA file .*ca\.pem \(dist\.tls\.caFile\)/);
});
