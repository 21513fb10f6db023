import {randomBytes, randomInt} from 'node:crypto';
import {Atom, Pid, Ref} from '../erlang-term/index.ts';

/** The first word of a reference: the node keeps only 18 bits of it. */
const REF_WORD0_LIMIT = 2 ** 18;

/**
 * Who we are on one connection: our node name, our creation, the single pid
 * replies are addressed to, and the references we tag calls with.
 */
export class LocalIdentity {
	readonly node: Atom;
	readonly creation: number;
	readonly pid: Pid;
	readonly #salt: number;
	#counter = 0;

	constructor(name: string, creation: number) {
		this.node = new Atom(name);
		this.creation = creation;
		this.pid = new Pid(this.node, 1, 0, creation);
		this.#salt = randomBytes(4).readUInt32BE(0);
	}

	/** A reference unique on this connection: a counter over the first two words, then a random salt. */
	newRef(): Ref {
		const count = this.#counter++;
		return new Ref(this.node, this.creation, [count % REF_WORD0_LIMIT, Math.floor(count / REF_WORD0_LIMIT) >>> 0, this.#salt]);
	}

	/** Whether a pid from the node is ours, i.e. ours on this connection. */
	owns(pid: Pid): boolean {
		return pid.node.name === this.node.name && pid.id === this.pid.id && pid.serial === this.pid.serial && pid.creation === this.creation;
	}
}

/**
 * A creation for our side of a connection: any u32 but the small values old
 * nodes used (0 once meant "any incarnation").
 */
export function newCreation(): number {
	return randomInt(4, 2 ** 32 - 1);
}

/** A random u32 challenge for the handshake. */
export function newChallenge(): number {
	return randomBytes(4).readUInt32BE(0);
}
