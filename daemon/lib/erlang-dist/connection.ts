import {connect, type Socket} from 'node:net';
import {connect as connectTls, type SecureContext} from 'node:tls';
import {DistError, errorMessage} from './dist-error.ts';
import {TICK, parseDistPayloadInSlices} from './dist-message.ts';
import type {DistMessage} from './dist-message.ts';
import {FrameReader} from './frame-reader.ts';
import {HandshakeExchange} from './handshake-exchange.ts';
import type {HandshakeParams, HandshakeResult} from './handshake-exchange.ts';
import {Ticker} from './ticker.ts';
import {describeTlsError, tlsClosedError, tlsConnectOptions} from './tls.ts';
import type {DecodeLimits} from '../erlang-term/index.ts';
import {TermError} from '../erlang-term/index.ts';

export interface ConnectionOptions extends HandshakeParams {
	readonly host: string;
	readonly port: number;
	/** TLS distribution: the connection is TLS (the node's certificate verified, ours presented), the handshake runs inside it. Default: plain TCP. */
	readonly tls?: SecureContext | undefined;
	/** Aborts the opening (not an open connection): the socket is destroyed and open() rejects with the reason. */
	readonly signal: AbortSignal;
	readonly tickIntervalMs?: number;
	/** Packets announcing more are refused before buffering, closing the connection. Default: FrameReader's. */
	readonly maxFrameBytes?: number;
	/** What one message may decode to; past it the connection is closed (ERR_DIST_LIMIT). */
	readonly decodeLimits?: DecodeLimits;
	readonly onMessage: (message: DistMessage) => void;
	/** A message that could not be decoded and was dropped; the connection goes on. */
	readonly onWarning: (message: string) => void;
	/** Once, when an open connection ends, with why. */
	readonly onClose: (reason: DistError) => void;
}

/**
 * One distribution connection: TCP, the handshake, then ticks both ways and
 * pass-through messages handed to onMessage. Node-down is the socket closing:
 * reported at once through onClose.
 *
 * Packets are handled one at a time, in order. A message is decoded in
 * slices of a few milliseconds (the event loop runs between them) while the
 * socket is paused, so a peer cannot make the client buffer more than one
 * packet (at most maxFrameBytes) ahead of the decoder.
 */
export class DistConnection {
	readonly #options: ConnectionOptions;
	readonly #socket: Socket;
	readonly #reader: FrameReader;
	readonly #handshake: HandshakeExchange;
	readonly #ticker: Ticker;
	readonly #opening: Promise<HandshakeResult>;
	readonly #ended: Promise<void>;
	#settleOpening: {resolve: (result: HandshakeResult) => void; reject: (error: unknown) => void} | undefined;
	#peer: HandshakeResult | undefined;
	#closed = false;
	/** The transport is ready for the handshake: TCP connected, and with TLS, the TLS handshake done. */
	#secured = false;
	/** Nothing received yet: the first bytes tell a TLS answer to our plain handshake. */
	#receivedNothing = true;
	/** A message is being decoded: later packets wait (and the socket is paused). */
	#decoding = false;

	/** Connect and run the handshake; resolves once the node has proved it knows the cookie. */
	static async open(options: ConnectionOptions): Promise<DistConnection> {
		options.signal.throwIfAborted();
		const connection = new DistConnection(options);
		await connection.#opening;
		return connection;
	}

	private constructor(options: ConnectionOptions) {
		this.#options = options;
		// TLS distribution (inet_tls_dist) frames the handshake with 4-byte lengths too ({packet, 4} from the start).
		this.#reader = new FrameReader({headerBytes: options.tls === undefined ? 2 : 4, peer: options.peerName, maxLength: options.maxFrameBytes});
		this.#handshake = new HandshakeExchange(options);
		this.#ticker = new Ticker({
			intervalMs: options.tickIntervalMs,
			sendTick: () => this.#write(TICK),
			onSilent: silentMs => this.close(new DistError('ERR_DIST_NODE_DOWN', `${options.peerName} sent nothing for ${Math.round(silentMs)} ms, not even a tick: connection dropped`, {retryable: true})),
		});
		this.#opening = new Promise((resolve, reject) => {
			this.#settleOpening = {resolve, reject};
		});
		const onAbort = (): void => this.#fail(options.signal.reason);
		options.signal.addEventListener('abort', onAbort, {once: true});
		void this.#opening.then(() => options.signal.removeEventListener('abort', onAbort), () => options.signal.removeEventListener('abort', onAbort));
		this.#socket = options.tls === undefined ? connect({host: options.host, port: options.port}) : connectTls(tlsConnectOptions(options.tls, options.host, options.port));
		this.#socket.setNoDelay(true);
		this.#socket.once(options.tls === undefined ? 'connect' : 'secureConnect', () => {
			this.#secured = true;
			this.#writeHandshake(this.#handshake.start());
		});
		this.#socket.on('data', (chunk: Buffer) => this.#onData(chunk));
		this.#socket.on('error', error => this.#fail(error));
		this.#ended = new Promise(resolve => this.#socket.once('close', () => {
			this.#fail(undefined);
			resolve();
		}));
	}

	get peerCreation(): number | undefined {
		return this.#peer?.peerCreation;
	}

	get peerFlags(): bigint | undefined {
		return this.#peer?.peerFlags;
	}

	get closed(): boolean {
		return this.#closed;
	}

	/** Resolves when the socket is fully closed (after close(), or when the node closed it). */
	get ended(): Promise<void> {
		return this.#ended;
	}

	/** Queue a whole packet (length prefix included); false when the connection is closed. */
	send(packet: Buffer): boolean {
		return this.#write(packet);
	}

	/** End the connection; onClose fires with `reason` unless it already fired. */
	close(reason: DistError): void {
		this.#fail(reason);
	}

	#write(packet: Buffer): boolean {
		if (this.#closed) {
			return false;
		}
		this.#socket.write(packet);
		return true;
	}

	/** A handshake packet (u16 length first); over TLS its length is a u32. */
	#writeHandshake(packet: Buffer): boolean {
		if (this.#options.tls === undefined) {
			return this.#write(packet);
		}
		const framed = Buffer.alloc(packet.byteLength + 2);
		framed.writeUInt32BE(packet.byteLength - 2, 0);
		packet.copy(framed, 4, 2);
		return this.#write(framed);
	}

	#onData(chunk: Buffer): void {
		if (this.#receivedNothing) {
			this.#receivedNothing = false;
			if (this.#options.tls === undefined && isTlsRecord(chunk)) {
				this.#fail(new DistError('ERR_DIST_HANDSHAKE', `${this.#options.peerName} answered our handshake in TLS: it runs TLS distribution (-proto_dist inet_tls)`, {
					hint: 'Give the client the tls option (certificate, key and the CA of the node\'s certificate).',
				}));
				return;
			}
		}
		this.#ticker.received();
		this.#reader.push(chunk);
		this.#pump();
	}

	/** Handle every complete packet buffered, in order; a message's decoding pauses the rest until it is done. */
	#pump(): void {
		try {
			while (!this.#closed && !this.#decoding) {
				const payload = this.#reader.next();
				if (payload === undefined) {
					return;
				}
				if (this.#peer === undefined) {
					this.#onHandshakePacket(payload);
				} else if (payload.byteLength === 0) {
					// The node's tick: answer it, as net_kernel expects traffic both ways.
					this.#write(TICK);
				} else {
					this.#decoding = true;
					this.#socket.pause();
					void this.#onPacket(payload).finally(() => {
						this.#decoding = false;
						if (!this.#closed) {
							this.#socket.resume();
							this.#pump();
						}
					});
				}
			}
		} catch (error) {
			this.#fail(error);
		}
	}

	#onHandshakePacket(payload: Buffer): void {
		const step = this.#handshake.receive(payload);
		if (step.send !== undefined) {
			this.#writeHandshake(step.send);
		}
		if (step.done !== undefined) {
			this.#peer = step.done;
			this.#reader.headerBytes = 4;
			this.#ticker.start();
			this.#settleOpening?.resolve(step.done);
			this.#settleOpening = undefined;
		}
	}

	async #onPacket(payload: Buffer): Promise<void> {
		let message: DistMessage;
		try {
			message = await parseDistPayloadInSlices(payload, this.#options.peerName, this.#options.decodeLimits);
		} catch (error) {
			if (error instanceof TermError && error.code === 'ERR_ETF_LIMIT') {
				// More than any answer can be: the peer is broken or hostile, and what follows cannot be trusted either.
				this.#fail(new DistError('ERR_DIST_LIMIT', `${this.#options.peerName} sent a ${payload.byteLength}-byte message that decodes to more than this client accepts: connection closed (${error.message})`, {
					cause: error,
					hint: error.hint,
				}));
				return;
			}
			// The packet's bounds are known: drop this one message, keep the connection.
			this.#options.onWarning(`Dropped a message from ${this.#options.peerName}: ${errorMessage(error)}`);
			return;
		}
		if (!this.#closed) {
			this.#options.onMessage(message);
		}
	}

	/** Every way a connection ends comes here, once: `error` undefined means the peer closed. */
	#fail(error: unknown): void {
		if (this.#closed) {
			return;
		}
		this.#closed = true;
		this.#ticker.stop();
		this.#socket.destroy();
		if (this.#settleOpening !== undefined) {
			this.#settleOpening.reject(this.#openingError(error));
			this.#settleOpening = undefined;
			return;
		}
		this.#options.onClose(error instanceof DistError ? error : this.#closedError(error));
	}

	#openingError(error: unknown): unknown {
		const {signal, peerName, host, port} = this.#options;
		if (signal.aborted) {
			return signal.reason;
		}
		if (error instanceof DistError) {
			return error;
		}
		const code = (error as NodeJS.ErrnoException | undefined)?.code;
		if (this.#options.tls !== undefined) {
			const tlsError = describeTlsError(error, {peerName, host, port}, this.#secured);
			if (tlsError !== undefined) {
				return tlsError;
			}
			if (code === undefined || code === 'ECONNRESET' || code === 'EPIPE') {
				// Over TLS 1.3 the node checks our certificate after our side of the TLS handshake is done: a close then, before the status, is likely that.
				if (!this.#secured || this.#handshake.stage === 'status') {
					return tlsClosedError({peerName, host, port}, error, this.#secured);
				}
			}
		}
		if (code === undefined || code === 'ECONNRESET' || code === 'EPIPE') {
			return this.#handshake.closedError(error);
		}
		return new DistError('ERR_DIST_NODE_DOWN', `Cannot connect to ${peerName} at ${host}:${port} (${code})`, {
			cause: error,
			retryable: true,
			hint: code === 'ECONNREFUSED' ? 'Nothing listens there: the node is down or restarting, or a configured port is wrong.' : 'Check the host name and the network.',
		});
	}

	#closedError(error: unknown): DistError {
		const how = error === undefined ? 'the node closed it' : errorMessage(error);
		return new DistError('ERR_DIST_NODE_DOWN', `The connection to ${this.#options.peerName} ended (${how})`, {
			cause: error,
			retryable: true,
			hint: 'The node stopped or restarted; the next call reconnects.',
		});
	}
}

/** A TLS record's first bytes: content type (alert 21, handshake 22), then major version 3. */
function isTlsRecord(chunk: Buffer): boolean {
	return chunk.byteLength >= 2 && (chunk[0] === 21 || chunk[0] === 22) && chunk[1] === 3;
}
