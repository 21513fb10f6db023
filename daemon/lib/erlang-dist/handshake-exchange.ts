import {timingSafeEqual} from 'node:crypto';
import {quoteUntrusted} from '../untrusted-text/index.ts';
import {DistError} from './dist-error.ts';
import {encodeChallengeReply, encodeNameMessage, parseChallenge, parseChallengeAck, parseStatus} from './handshake.ts';

export interface HandshakeParams {
	/** The node we connect to, `name@host`. */
	readonly peerName: string;
	readonly localName: string;
	readonly localCreation: number;
	readonly flags: bigint;
	/** Our challenge to the node (a random u32). */
	readonly challenge: number;
	/** md5(cookie ++ decimal(challenge)); a closure, so the cookie itself never sits in these params. */
	readonly digest: (challenge: number) => Buffer;
	/** How errors name the cookie, e.g. `the cookie in /path` (never the cookie itself). */
	readonly cookieSource: string;
}

export interface HandshakeResult {
	readonly peerFlags: bigint;
	readonly peerCreation: number;
}

export interface HandshakeStep {
	readonly send?: Buffer;
	readonly done?: HandshakeResult;
}

type Stage = 'status' | 'challenge' | 'ack' | 'done';

const STATUS_MEANINGS: Readonly<Record<string, string>> = {
	nok: 'it is itself connecting to a node of our name and keeps its own attempt',
	not_allowed: 'it does not accept us: our capability flags lack one it requires, or net_kernel:allow/1 excludes our name',
	alive: 'it already has a live connection from a node of our name',
};

/**
 * The client side of the handshake as a pure state machine: feed it each
 * packet the node sends, send what it returns. Mutual: the node's ack must
 * prove it knows the cookie too, or we refuse the connection.
 */
export class HandshakeExchange {
	readonly #params: HandshakeParams;
	#stage: Stage = 'status';
	#peer: HandshakeResult | undefined;

	constructor(params: HandshakeParams) {
		this.#params = params;
	}

	get stage(): Stage {
		return this.#stage;
	}

	/** The first packet: our name. */
	start(): Buffer {
		const {localName: name, localCreation: creation, flags} = this.#params;
		return encodeNameMessage({name, creation, flags});
	}

	receive(payload: Buffer): HandshakeStep {
		const {peerName} = this.#params;
		switch (this.#stage) {
			case 'status': {
				this.#checkStatus(parseStatus(payload, peerName));
				this.#stage = 'challenge';
				return {};
			}
			case 'challenge': {
				const challenge = parseChallenge(payload, peerName);
				if (challenge.name !== peerName) {
					throw new DistError('ERR_DIST_HANDSHAKE', `Connected to a node named ${quoteUntrusted(challenge.name)} where ${peerName} was expected`, {
						hint: 'A configured `port` must be the distribution port of that very node; leave it out to ask EPMD.',
					});
				}
				this.#peer = {peerFlags: challenge.flags, peerCreation: challenge.creation};
				this.#stage = 'ack';
				return {send: encodeChallengeReply(this.#params.challenge, this.#params.digest(challenge.challenge))};
			}
			case 'ack': {
				const theirs = parseChallengeAck(payload, peerName);
				if (!timingSafeEqual(theirs, this.#params.digest(this.#params.challenge))) {
					throw new DistError('ERR_DIST_HANDSHAKE', `Refusing the connection to ${peerName}: its answer to our challenge does not match ${this.#params.cookieSource}`, {
						hint: 'Something that does not know the node\'s cookie answered on its port; check which process listens there.',
					});
				}
				this.#stage = 'done';
				return {done: this.#peer};
			}
			case 'done': {
				throw new Error('HandshakeExchange.receive() called after the handshake completed');
			}
		}
	}

	/** What it means that the node closed the socket at this stage. */
	closedError(cause?: unknown): DistError {
		const {peerName, cookieSource} = this.#params;
		if (this.#stage === 'ack') {
			return new DistError('ERR_DIST_HANDSHAKE', `${peerName} closed the connection during the handshake: ${cookieSource} does not match the node's`, {
				cause,
				hint: `Use the cookie the node reads (its user's ~/.erlang.cookie); ${peerName} logs "Invalid challenge reply".`,
			});
		}
		return new DistError('ERR_DIST_NODE_DOWN', `${peerName} closed the connection during the handshake, before ${this.#stage === 'status' ? 'answering our name' : 'sending its challenge'}`, {
			cause,
			retryable: true,
			hint: this.#stage === 'status'
				? 'The node may be shutting down, or it runs TLS distribution (-proto_dist inet_tls), which needs the tls option; see its log if this persists.'
				: 'The node may be shutting down; see its log if this persists.',
		});
	}

	#checkStatus(status: string): void {
		const {peerName, localName} = this.#params;
		if (status === 'ok' || status === 'ok_simultaneous') {
			return;
		}
		// The status is the peer's bytes: looked up as an own key only, and shown escaped.
		const meaning = Object.hasOwn(STATUS_MEANINGS, status) ? STATUS_MEANINGS[status] : 'a status this client does not know';
		throw new DistError('ERR_DIST_HANDSHAKE', `${peerName} refused the connection from ${localName} with status ${quoteUntrusted(status)}: ${meaning}`, {
			retryable: status === 'nok' || status === 'alive',
			hint: 'See the node\'s log for its side of the refusal.',
		});
	}
}
