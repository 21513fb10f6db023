/**
 * The JavaScript shape of Erlang terms. Every kind the decoder can produce has
 * its own class (or a plain JS value where that is unambiguous), so a decoded
 * term re-encodes to the same Erlang term.
 */

/** An Erlang atom. Not interned: compare atoms by `.name`. */
export class Atom {
	readonly name: string;

	constructor(name: string) {
		this.name = name;
	}
}

/** An Erlang float; kept apart from `number` so `1.0` stays a float. */
export class ErlFloat {
	readonly value: number;

	constructor(value: number) {
		this.value = value;
	}
}

/** A bitstring whose size is not a multiple of 8: `bits` (1..8) of the last byte are used. */
export class BitBinary {
	readonly data: Buffer;
	readonly bits: number;

	constructor(data: Buffer, bits: number) {
		this.data = data;
		this.bits = bits;
	}
}

/** `[A, B | Tail]` where Tail is not `[]`. */
export class ImproperList {
	readonly elements: Term[];
	readonly tail: Term;

	constructor(elements: Term[], tail: Term) {
		this.elements = elements;
		this.tail = tail;
	}
}

export class Tuple {
	readonly elements: readonly Term[];

	constructor(elements: readonly Term[]) {
		this.elements = elements;
	}
}

/** An Erlang map as its entries, in the order they were decoded or given. */
export class ErlMap {
	readonly entries: readonly (readonly [Term, Term])[];

	constructor(entries: readonly (readonly [Term, Term])[]) {
		this.entries = entries;
	}
}

export class Pid {
	readonly node: Atom;
	readonly id: number;
	readonly serial: number;
	readonly creation: number;

	constructor(node: Atom, id: number, serial: number, creation: number) {
		this.node = node;
		this.id = id;
		this.serial = serial;
		this.creation = creation;
	}
}

export class Ref {
	readonly node: Atom;
	readonly creation: number;
	readonly ids: readonly number[];

	constructor(node: Atom, creation: number, ids: readonly number[]) {
		this.node = node;
		this.creation = creation;
		this.ids = ids;
	}
}

export class Port {
	readonly node: Atom;
	readonly id: number | bigint;
	readonly creation: number;

	constructor(node: Atom, id: number | bigint, creation: number) {
		this.node = node;
		this.id = id;
		this.creation = creation;
	}
}

/**
 * A fun, kept opaque: `tag` is NEW_FUN_EXT (112) or EXPORT_EXT (113) and `raw`
 * the bytes that follow the tag, written back unchanged by the encoder.
 */
export class ErlFun {
	readonly tag: number;
	readonly raw: Buffer;

	constructor(tag: number, raw: Buffer) {
		this.tag = tag;
		this.raw = raw;
	}
}

/**
 * Integers are `number` when safe, else `bigint`. A JS `string` is a charlist
 * (what STRING_EXT carries); `Term[]` is a proper list, `[]` is nil.
 */
export type Term =
	| Atom
	| number
	| bigint
	| ErlFloat
	| Buffer
	| BitBinary
	| string
	| Term[]
	| ImproperList
	| Tuple
	| ErlMap
	| Pid
	| Ref
	| Port
	| ErlFun;

export function atom(name: string): Atom {
	return new Atom(name);
}

export function tuple(...elements: Term[]): Tuple {
	return new Tuple(elements);
}

export function float(value: number): ErlFloat {
	return new ErlFloat(value);
}

export function erlMap(entries: readonly (readonly [Term, Term])[]): ErlMap {
	return new ErlMap(entries);
}

/** An atom, and when `name` is given, that atom. */
export function isAtom(term: unknown, name?: string): term is Atom {
	return term instanceof Atom && (name === undefined || term.name === name);
}

/** A tuple, and when `arity` is given, of that many elements. */
export function isTuple(term: unknown, arity?: number): term is Tuple {
	return term instanceof Tuple && (arity === undefined || term.elements.length === arity);
}

/** An Erlang integer, whichever JS type carries it. */
export function isInteger(term: unknown): term is number | bigint {
	return typeof term === 'bigint' || (typeof term === 'number' && Number.isSafeInteger(term));
}
