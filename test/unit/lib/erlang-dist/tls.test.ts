import {readFile} from 'node:fs/promises';
import test from 'ava';
import type {ExecutionContext} from 'ava';
import {DistClient, DistError} from '../../../../daemon/lib/erlang-dist/index.ts';
import type {DistClientOptions, DistTlsOptions} from '../../../../daemon/lib/erlang-dist/index.ts';
import {describeTlsError} from '../../../../daemon/lib/erlang-dist/tls.ts';
import {atom} from '../../../../daemon/lib/erlang-term/index.ts';
import {createTlsCerts, type TlsCerts} from '../../../support/tls-certs.ts';
import {startFakeNode} from './_fake-node.ts';
import type {FakeNodeOptions} from './_fake-node.ts';

const NODE = 'fake@localhost';
const COOKIE = 'FAKECOOKIEVALUE';
const ALLOW = [{module: 'erlang', function: 'node', arity: 0}];

interface Pem {
	readonly ca: Buffer;
	readonly otherCa: Buffer;
	readonly node: {readonly cert: Buffer; readonly key: Buffer};
	readonly client: {readonly cert: Buffer; readonly key: Buffer};
	readonly foreignClient: {readonly cert: Buffer; readonly key: Buffer};
}

let certs: TlsCerts | undefined;
let pem: Pem;

test.before(async () => {
	certs = await createTlsCerts();
	const pair = async (files: {certFile: string; keyFile: string}) => ({cert: await readFile(files.certFile), key: await readFile(files.keyFile)});
	pem = {
		ca: await readFile(certs.caFile),
		otherCa: await readFile(certs.otherCaFile),
		node: await pair(certs.node),
		client: await pair(certs.client),
		foreignClient: await pair(certs.foreignClient),
	};
});

test.after.always(async () => {
	await certs?.remove();
});

/** A fake node speaking TLS distribution as inet_tls_dist does: verify_peer, fail_if_no_peer_cert, its own CA. */
async function setup(t: ExecutionContext, client: Partial<DistClientOptions> = {}, node: Partial<FakeNodeOptions> = {}) {
	const fake = await startFakeNode(t, {
		name: NODE, cookie: COOKIE, rex: () => atom(NODE),
		tls: {cert: pem.node.cert, key: pem.node.key, ca: pem.ca, requestCert: true, rejectUnauthorized: true},
		...node,
	});
	const distClient = new DistClient({
		node: NODE, cookie: COOKIE, port: fake.port, connectTimeoutMs: 10_000, callTimeoutMs: 10_000, allow: ALLOW,
		tls: {cert: pem.client.cert, key: pem.client.key, ca: pem.ca}, ...client,
	});
	t.teardown(() => distClient.close());
	return {fake, client: distClient};
}

test('over TLS, the handshake (u32 lengths, as inet_tls_dist frames it) and a call work', async t => {
	const {fake, client} = await setup(t);
	t.deepEqual(await client.call('erlang', 'node', []), atom(NODE));
	t.is(fake.connections.length, 1);
	t.regex(fake.connections[0]?.clientName ?? '', /^reloader_[0-9a-f]+@localhost$/);
});

test('the TLS material may be strings, and a reader is called on every connect', async t => {
	let reads = 0;
	const {client} = await setup(t, {
		tls: () => {
			reads++;
			return {cert: pem.client.cert.toString(), key: pem.client.key.toString(), ca: pem.ca.toString()};
		},
	});
	await client.connect();
	t.is(reads, 1);
});

test('a node certificate not signed by our CA: certificate verify failed, naming the node and the host', async t => {
	const {client} = await setup(t, {tls: {cert: pem.client.cert, key: pem.client.key, ca: pem.otherCa}});
	const error = await t.throwsAsync(client.call('erlang', 'node', []), {instanceOf: DistError});
	t.is(error?.code, 'ERR_DIST_HANDSHAKE');
	t.false(error?.retryable);
	t.regex(error?.message ?? '', /TLS with fake@localhost at localhost:\d+ failed: certificate verify failed for the node's certificate/);
	t.regex(error?.hint ?? '', /signed by the CA in our ca option/);
});

test('a client certificate the node does not trust (a Node.js server just closes): the error says what to check', async t => {
	const {client} = await setup(t, {tls: {cert: pem.foreignClient.cert, key: pem.foreignClient.key, ca: pem.ca}});
	const error = await t.throwsAsync(client.call('erlang', 'node', []), {instanceOf: DistError});
	// A real node sends an alert (test/integration/tls-dist.test.ts); this fake one may just close
	// once its side of the TLS handshake fails, after ours has completed (TLS 1.3).
	if (error?.code === 'ERR_DIST_HANDSHAKE') {
		t.regex(error.message, /fake@localhost .*the node refused our client certificate/);
	} else {
		t.is(error?.code, 'ERR_DIST_NODE_DOWN');
		t.regex(error?.message ?? '', /fake@localhost at localhost:\d+ closed the connection right after the TLS handshake/);
	}
	t.regex(error?.hint ?? '', /cacertfile/);
});

test('a key that does not belong to the certificate is refused before connecting, without quoting it', async t => {
	const {fake, client} = await setup(t, {tls: {cert: pem.client.cert, key: pem.foreignClient.key, ca: pem.ca}});
	const error = await t.throwsAsync(client.connect(), {instanceOf: DistError});
	t.is(error?.code, 'ERR_DIST_OPTIONS');
	t.regex(error?.message ?? '', /TLS certificate, key or CA for fake@localhost cannot be used/);
	t.false((error?.message ?? '').includes('PRIVATE KEY'));
	t.is(fake.connections.length, 0);
});

test('a plain client at a TLS node is told the node runs TLS distribution', async t => {
	const {client} = await setup(t, {tls: undefined, connectTimeoutMs: 30_000});
	const error = await t.throwsAsync(client.connect(), {instanceOf: DistError});
	t.true(error?.code === 'ERR_DIST_HANDSHAKE' || error?.code === 'ERR_DIST_NODE_DOWN', error?.message);
	t.regex(`${error?.message} ${error?.hint}`, /TLS/);
});

test('a TLS client at a plain node times out within the connect deadline, the hint naming -proto_dist inet_tls', async t => {
	const {client} = await setup(t, {connectTimeoutMs: 1000}, {tls: undefined});
	const error = await t.throwsAsync(client.connect(), {instanceOf: DistError});
	t.is(error?.code, 'ERR_DIST_TIMEOUT');
	t.regex(error?.message ?? '', /TLS handshake/);
	t.regex(error?.hint ?? '', /-proto_dist inet_tls/);
});

test('a TLS reader\'s error is passed on unchanged', async t => {
	const failure = new Error('no such file: /etc/x/cert.pem');
	const {client} = await setup(t, {tls: () => Promise.reject(failure)});
	t.is(await t.throwsAsync(client.connect()), failure);
});

const invalidTls = test.macro({
	exec(t, tls: unknown, expected: RegExp) {
		const error = t.throws(() => new DistClient({node: NODE, cookie: COOKIE, connectTimeoutMs: 1000, callTimeoutMs: 1000, allow: ALLOW, tls: tls as DistTlsOptions}), {instanceOf: DistError});
		t.is(error?.code, 'ERR_DIST_OPTIONS');
		t.regex(error?.message ?? '', expected);
		t.false((error?.message ?? '').includes('SECRET'));
	},
	title: (_, tls: unknown) => `tls ${JSON.stringify(tls)} is refused`,
});
test(invalidTls, {cert: 'C', key: '', ca: 'A'}, /tls\.key must be a non-empty PEM Buffer or string, got an empty one/);
test(invalidTls, {cert: 'C', key: 'SECRET'}, /tls\.ca must be .* got undefined/);
test(invalidTls, {key: 'SECRET', ca: 5}, /tls\.cert must be .*\n.*tls\.ca must be .* got number/);
test(invalidTls, 'SECRET', /tls must be \{cert, key, ca\}/);

const tlsErrors = test.macro({
	exec(t, code: string, message: RegExp | undefined) {
		const error = Object.assign(new Error('details'), {code});
		const described = describeTlsError(error, {peerName: 'n@h', host: 'h', port: 1}, false);
		if (message === undefined) {
			t.is(described, undefined);
		} else {
			t.is(described?.code, 'ERR_DIST_HANDSHAKE');
			t.regex(described?.message ?? '', message);
		}
	},
	title: (_, code: string) => `TLS error ${code}`,
});
test(tlsErrors, 'ERR_TLS_CERT_ALTNAME_INVALID', /certificate does not name h/);
test(tlsErrors, 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA', /refused our client certificate \(TLS alert "unknown ca"\)/);
test(tlsErrors, 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE', /refused our client certificate \(TLS alert "handshake failure"\)/);
test(tlsErrors, 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', /refused our client certificate \(TLS alert "certificate required"\)/);
test(tlsErrors, 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION', /the node ended the TLS handshake \(TLS alert "protocol version"\)/);
test(tlsErrors, 'ERR_SSL_WRONG_VERSION_NUMBER', /TLS with n@h at h:1 failed: details/);
test(tlsErrors, 'CERT_HAS_EXPIRED', /certificate verify failed .*CERT_HAS_EXPIRED/);
test(tlsErrors, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', /certificate verify failed/);
test(tlsErrors, 'ECONNREFUSED', undefined);
test(tlsErrors, 'EAI_AGAIN', undefined);
