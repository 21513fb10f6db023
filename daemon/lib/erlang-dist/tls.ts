import {isIP} from 'node:net';
import {createSecureContext, type ConnectionOptions as TlsConnectOptions, type SecureContext} from 'node:tls';
import {DistError, describeValue, errorMessage} from './dist-error.ts';

/**
 * TLS distribution (a node started with `-proto_dist inet_tls`): our client
 * certificate and key, and the CA the node's certificate must be signed by.
 * PEM, as Buffers or strings.
 */
export interface DistTlsOptions {
	readonly cert: Buffer | string;
	readonly key: Buffer | string;
	readonly ca: Buffer | string;
}

/** Returns the TLS material; called on every connect, so renewed files are picked up. */
export type DistTlsReader = () => DistTlsOptions | Promise<DistTlsOptions>;

/** Where the connection goes, for the messages. */
export interface TlsPeer {
	readonly peerName: string;
	readonly host: string;
	readonly port: number;
}

const FIELDS = ['cert', 'key', 'ca'] as const;

/** The problems with a TLS material object, for the option check and for what a reader returns. Never quotes the values (`key` is a secret). */
export function tlsOptionProblems(tls: unknown, prefix = 'tls'): string[] {
	if (typeof tls !== 'object' || tls === null) {
		return [`${prefix} must be {cert, key, ca} (PEM, Buffer or string) or a function returning that, got ${describeValue(typeof tls === 'string' ? '(a string)' : tls)}`];
	}
	return FIELDS.flatMap(field => {
		const value = (tls as Record<string, unknown>)[field];
		const usable = (typeof value === 'string' || Buffer.isBuffer(value)) && value.length > 0;
		return usable ? [] : [`${prefix}.${field} must be a non-empty PEM Buffer or string, got ${value === '' || (Buffer.isBuffer(value) && value.length === 0) ? 'an empty one' : (value === null ? 'null' : typeof value)}`];
	});
}

/**
 * Turn the material into a secure context, so that an unusable certificate or
 * key (not PEM, a key that does not belong to the certificate) is reported as
 * such before any connection is made. OpenSSL's messages name no content.
 */
export function createDistTlsContext(tls: DistTlsOptions, node: string): SecureContext {
	const problems = tlsOptionProblems(tls);
	if (problems.length > 0) {
		throw new DistError('ERR_DIST_OPTIONS', `Invalid TLS material for ${node}:\n${problems.map(problem => `  - ${problem}`).join('\n')}`);
	}
	try {
		return createSecureContext({cert: tls.cert, key: tls.key, ca: tls.ca});
	} catch (error) {
		throw new DistError('ERR_DIST_OPTIONS', `The TLS certificate, key or CA for ${node} cannot be used: ${errorMessage(error)}`, {
			cause: error,
			hint: 'cert and ca must be PEM certificates ("-----BEGIN CERTIFICATE-----"), key the PEM private key of cert, unencrypted.',
		});
	}
}

/**
 * Options for tls.connect: the node's certificate is verified against our CA
 * and its name against the node name's host part (a host name is also sent as
 * SNI; an IP address is checked against the certificate's IP entries).
 */
export function tlsConnectOptions(context: SecureContext, host: string, port: number): TlsConnectOptions {
	return {host, port, secureContext: context, rejectUnauthorized: true, ...(isIP(host) === 0 ? {servername: host} : {})};
}

/** Codes of Node's own certificate checks that are about the node's certificate, not about the network. */
const NAME_MISMATCH = 'ERR_TLS_CERT_ALTNAME_INVALID';
const ERRNO = /^E[A-Z0-9]+$|^EAI_/;
/** Alerts a node sends about the client's certificate (OTP answers a missing one with "handshake failure"). */
const CERTIFICATE_ALERT = /certificate|unknown ca|access denied|handshake failure/;

/**
 * What a TLS error means, as a DistError; undefined for errors that are not
 * about TLS (a refused TCP connection, say), which the caller describes itself.
 * `secured`: whether the TLS handshake had completed.
 */
export function describeTlsError(error: unknown, peer: TlsPeer, secured: boolean): DistError | undefined {
	const code = (error as NodeJS.ErrnoException | undefined)?.code;
	const {peerName, host, port} = peer;
	const where = `${peerName} at ${host}:${port}`;
	if (typeof code !== 'string') {
		return undefined;
	}
	if (code === NAME_MISMATCH) {
		return new DistError('ERR_DIST_HANDSHAKE', `TLS with ${where} failed: the node's certificate does not name ${host} (${errorMessage(error)})`, {
			cause: error,
			hint: `The node's certificate must carry ${host} (the host part of the node name) in its subjectAltName, as DNS or IP entry.`,
		});
	}
	if (code.startsWith('ERR_SSL_') && code.includes('ALERT')) {
		const alert = code.replace(/^ERR_SSL_(?:SSLV3|TLSV1|TLSV13)_ALERT_/, '').toLowerCase().replaceAll('_', ' ');
		if (!CERTIFICATE_ALERT.test(alert)) {
			return new DistError('ERR_DIST_HANDSHAKE', `TLS with ${where} failed: the node ended the TLS handshake (TLS alert "${alert}")`, {
				cause: error,
				hint: 'The node\'s TLS options (its -ssl_dist_optfile: versions, ciphers) and ours have nothing in common; the node\'s log says more.',
			});
		}
		return new DistError('ERR_DIST_HANDSHAKE', `TLS with ${where} failed: the node refused our client certificate (TLS alert "${alert}")`, {
			cause: error,
			hint: 'The node accepts only client certificates signed by the CA in its -ssl_dist_optfile (cacertfile): sign our certificate (cert) with that CA, or add our CA to the node\'s cacertfile; see the node\'s log for its side.',
		});
	}
	if (code.startsWith('ERR_SSL_')) {
		return new DistError('ERR_DIST_HANDSHAKE', `TLS with ${where} failed: ${errorMessage(error).split('\n')[0] ?? code} (${code})`, {
			cause: error,
			hint: code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'ERR_SSL_PACKET_LENGTH_TOO_LONG'
				? 'The node does not speak TLS on its distribution port: start it with -proto_dist inet_tls, or leave out the tls option.'
				: 'Check the node\'s -ssl_dist_optfile and its log.',
		});
	}
	if (!ERRNO.test(code) && !code.startsWith('ERR_') && !secured) {
		// OpenSSL's verification codes: UNABLE_TO_VERIFY_LEAF_SIGNATURE, SELF_SIGNED_CERT_IN_CHAIN, CERT_HAS_EXPIRED, ...
		return new DistError('ERR_DIST_HANDSHAKE', `TLS with ${where} failed: certificate verify failed for the node's certificate: ${errorMessage(error)} (${code})`, {
			cause: error,
			hint: `The node's certificate (certfile in its -ssl_dist_optfile) must be signed by the CA in our ca option (and be valid now); a node that presents another CA's certificate is refused.`,
		});
	}
	return undefined;
}

/** The node closed the connection in (`secured` false) or right after the TLS handshake, without an alert. */
export function tlsClosedError(peer: TlsPeer, cause: unknown, secured: boolean): DistError {
	const when = secured ? 'right after the TLS handshake, before answering our name' : 'during the TLS handshake';
	return new DistError('ERR_DIST_NODE_DOWN', `${peer.peerName} at ${peer.host}:${peer.port} closed the connection ${when}`, {
		cause,
		retryable: true,
		hint: secured
			? 'The node may be shutting down. If this persists, it refuses our client certificate (cert): that must be signed by the CA in the node\'s -ssl_dist_optfile (cacertfile); the node\'s log tells.'
			: 'The node may be shutting down. If this persists, it runs plain distribution (started without -proto_dist inet_tls), which gives up on a TLS greeting after its net_setuptime (7 s): leave out the tls option, or start it with TLS.',
	});
}
