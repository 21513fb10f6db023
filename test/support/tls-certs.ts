import {execFile} from 'node:child_process';
import {chmod, chown, mkdtemp, readdir, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {promisify} from 'node:util';

const OPENSSL = '/usr/bin/openssl';
const run = promisify(execFile);

/** A certificate and its key, PEM files. */
export interface CertFiles {
	readonly certFile: string;
	readonly keyFile: string;
}

/** What TLS distribution needs, in a throwaway directory. */
export interface TlsCerts {
	readonly dir: string;
	/** The CA that signed `node` and `client`. */
	readonly caFile: string;
	/** The node's certificate (CN and SAN `localhost`, SAN IP 127.0.0.1; serverAuth and clientAuth: ejabberdctl's control node presents it too). */
	readonly node: CertFiles;
	/** The daemon's client certificate, signed by the same CA. */
	readonly client: CertFiles;
	/** A second CA, unrelated to the first, and a client certificate it signed: the node must refuse it. */
	readonly otherCaFile: string;
	readonly foreignClient: CertFiles;
	/** The node's `-ssl_dist_optfile`: server and client sides, both verifying the peer against `caFile`. */
	readonly optFile: string;
	/** `erl` arguments for a node (and its ejabberdctl control node) speaking TLS distribution with these files (paths as the node sees them). */
	readonly erlOptions: readonly string[];
	/** Remove the directory; idempotent. */
	remove(): Promise<void>;
}

export interface TlsCertsOptions {
	/** Who the node runs as: the directory and every file are handed to this uid/gid (the key files stay mode 600). */
	readonly owner?: {readonly uid: number; readonly gid: number};
	/** Where the directory is made. Default: os.tmpdir(). */
	readonly baseDir?: string;
	/** How the node sees a path of this process (a node chrooted in a root); the optfile and erlOptions use it. Default: the same path. */
	readonly toNodePath?: (path: string) => string;
}

// The extensions each certificate gets; written to a file the openssl x509 step reads.
const EXTENSIONS = `[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash

[node]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth, clientAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
authorityKeyIdentifier = keyid

[client]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth
authorityKeyIdentifier = keyid
`;

/**
 * Generate, with openssl (no shell), a throwaway CA, a node certificate for
 * `localhost` and a client certificate for the daemon, plus a foreign CA and
 * client certificate for the negative case, and the node's ssl_dist optfile.
 * EC P-256 keys, valid for two days. Remove with `remove()`.
 */
export async function createTlsCerts(options: TlsCertsOptions = {}): Promise<TlsCerts> {
	const dir = await mkdtemp(join(options.baseDir ?? tmpdir(), 'reloader-tls-'));
	const file = (name: string) => join(dir, name);
	const toNode = options.toNodePath ?? ((path: string) => path);
	const nodeFile = (name: string) => toNode(file(name));
	const remove = () => rm(dir, {recursive: true, force: true});
	try {
		await writeFile(file('extensions.cnf'), EXTENSIONS);
		await makeCa(dir, 'ca', 'reloader test CA');
		await makeCa(dir, 'other-ca', 'reloader foreign CA');
		await makeLeaf(dir, 'node', 'localhost', 'ca');
		await makeLeaf(dir, 'client', 'ejabberd-reloader', 'ca');
		await makeLeaf(dir, 'foreign-client', 'ejabberd-reloader', 'other-ca');
		const optFile = file('ssl_dist.conf');
		const side = (extra: string) => `[{certfile,${erlString(nodeFile('node.pem'))}},{keyfile,${erlString(nodeFile('node.key'))}},{cacertfile,${erlString(nodeFile('ca.pem'))}},{verify,verify_peer}${extra}]`;
		await writeFile(optFile, `[{server,${side(',{fail_if_no_peer_cert,true}')}},\n {client,${side('')}}].\n`);
		for (const name of await readdir(dir)) {
			if (name.endsWith('.csr') || name.endsWith('.srl')) {
				await rm(file(name));
				continue;
			}
			await chmod(file(name), name.endsWith('.key') ? 0o600 : 0o644);
			if (options.owner !== undefined) {
				await chown(file(name), options.owner.uid, options.owner.gid);
			}
		}
		// mkdtemp gives 0700; the node's user must enter it.
		await chmod(dir, 0o755);
		if (options.owner !== undefined) {
			await chown(dir, options.owner.uid, options.owner.gid);
		}
	} catch (error) {
		await remove();
		throw error;
	}
	return {
		dir,
		caFile: file('ca.pem'),
		node: {certFile: file('node.pem'), keyFile: file('node.key')},
		client: {certFile: file('client.pem'), keyFile: file('client.key')},
		otherCaFile: file('other-ca.pem'),
		foreignClient: {certFile: file('foreign-client.pem'), keyFile: file('foreign-client.key')},
		optFile: file('ssl_dist.conf'),
		erlOptions: Object.freeze(['-proto_dist', 'inet_tls', '-ssl_dist_optfile', nodeFile('ssl_dist.conf')]),
		remove,
	};
}

const KEY_ARGS = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

async function makeCa(dir: string, name: string, commonName: string): Promise<void> {
	await run(OPENSSL, ['req', '-new', ...KEY_ARGS, '-keyout', join(dir, `${name}.key`), '-out', join(dir, `${name}.csr`), '-subj', `/CN=${commonName}`]);
	await run(OPENSSL, ['x509', '-req', '-in', join(dir, `${name}.csr`), '-signkey', join(dir, `${name}.key`), '-days', '2', '-out', join(dir, `${name}.pem`), '-extfile', join(dir, 'extensions.cnf'), '-extensions', 'ca']);
}

async function makeLeaf(dir: string, name: string, commonName: string, ca: string): Promise<void> {
	await run(OPENSSL, ['req', '-new', ...KEY_ARGS, '-keyout', join(dir, `${name}.key`), '-out', join(dir, `${name}.csr`), '-subj', `/CN=${commonName}`]);
	await run(OPENSSL, [
		'x509', '-req', '-in', join(dir, `${name}.csr`), '-CA', join(dir, `${ca}.pem`), '-CAkey', join(dir, `${ca}.key`), '-CAcreateserial',
		'-days', '2', '-out', join(dir, `${name}.pem`), '-extfile', join(dir, 'extensions.cnf'), '-extensions', name === 'node' ? 'node' : 'client',
	]);
}

/** An Erlang string literal; the paths here are mkdtemp's, but escape anyway. */
function erlString(value: string): string {
	return `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}
