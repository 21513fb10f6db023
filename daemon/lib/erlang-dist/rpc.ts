import {DistError} from './dist-error.ts';
import {Ref, Tuple, atom, tuple} from '../erlang-term/index.ts';
import type {Term} from '../erlang-term/index.ts';
import {OP, encodeDistPacket, recipientOf} from './dist-message.ts';
import type {DistMessage} from './dist-message.ts';
import type {LocalIdentity} from './local-identity.ts';

export interface RpcCallOptions {
	readonly timeoutMs: number;
	readonly signal?: AbortSignal | undefined;
}

interface PendingCall {
	readonly resolve: (result: Term) => void;
	readonly reject: (error: unknown) => void;
}

/** `{'$gen_call', {OurPid, Ref}, {call, M, F, Args, user}}` to `rex`, as one packet. */
export function encodeRpcCall(identity: LocalIdentity, ref: Ref, module: string, fn: string, args: readonly Term[]): Buffer {
	const control = tuple(OP.REG_SEND, identity.pid, atom(''), atom('rex'));
	const request = tuple(atom('call'), atom(module), atom(fn), [...args], atom('user'));
	return encodeDistPacket(control, tuple(atom('$gen_call'), tuple(identity.pid, ref), request));
}

const refKey = (ref: Ref): string => `${ref.node.name}/${ref.creation}/${ref.ids.join('.')}`;

/**
 * rpc:call through `rex` on one connection. Replies are matched by reference;
 * a reply whose call is gone (timed out, aborted) finds nothing and is dropped,
 * so it can never answer another call.
 */
export class RpcChannel {
	readonly #identity: LocalIdentity;
	readonly #peer: string;
	readonly #send: (packet: Buffer) => boolean;
	readonly #pending = new Map<string, PendingCall>();
	#closedWith: DistError | undefined;

	constructor(identity: LocalIdentity, peer: string, send: (packet: Buffer) => boolean) {
		this.#identity = identity;
		this.#peer = peer;
		this.#send = send;
	}

	get pending(): number {
		return this.#pending.size;
	}

	call(module: string, fn: string, args: readonly Term[], options: RpcCallOptions): Promise<Term> {
		const {timeoutMs, signal} = options;
		if (signal?.aborted === true) {
			return Promise.reject(signal.reason);
		}
		if (this.#closedWith !== undefined) {
			return Promise.reject(this.#closedWith);
		}
		const ref = this.#identity.newRef();
		const packet = encodeRpcCall(this.#identity, ref, module, fn, args);
		const key = refKey(ref);
		return new Promise<Term>((resolve, reject) => {
			const settle = (): void => {
				this.#pending.delete(key);
				clearTimeout(timer);
				signal?.removeEventListener('abort', onAbort);
			};
			const onAbort = (): void => {
				settle();
				reject(signal?.reason);
			};
			const timer = setTimeout(() => {
				settle();
				reject(new DistError('ERR_DIST_TIMEOUT', `${module}:${fn}/${args.length} on ${this.#peer} did not answer within ${timeoutMs} ms`, {
					retryable: true,
					hint: 'The call may still be running on the node; raise callTimeoutMs if it is legitimately slow.',
				}));
			}, timeoutMs);
			signal?.addEventListener('abort', onAbort, {once: true});
			this.#pending.set(key, {
				resolve: result => {
					settle();
					resolve(result);
				},
				reject: error => {
					settle();
					reject(error);
				},
			});
			this.#send(packet);
		});
	}

	/** Hand a message from the node to its call; false when it answers none (unknown or late reference, not for us). */
	deliver(message: DistMessage): boolean {
		const to = recipientOf(message);
		const reply = message.message;
		if (to === undefined || !this.#identity.owns(to) || !(reply instanceof Tuple) || reply.elements.length !== 2) {
			return false;
		}
		const [ref, result] = reply.elements;
		const call = ref instanceof Ref ? this.#pending.get(refKey(ref)) : undefined;
		if (call === undefined || result === undefined) {
			return false;
		}
		call.resolve(result);
		return true;
	}

	/** The connection is gone: every pending call fails with `error`, and so does every later one. */
	failAll(error: DistError): void {
		this.#closedWith ??= error;
		for (const call of [...this.#pending.values()]) {
			call.reject(error);
		}
	}
}
