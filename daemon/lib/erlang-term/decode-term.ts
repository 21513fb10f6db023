import {checkFloat, readAtom, readBig, readBitBinary, readOldFloat} from './decode-scalars.ts';
import type {DecodeBudget} from './decode-budget.ts';
import {MAX_DEPTH, MAX_REF_IDS} from './limits.ts';
import type {Reader, Site} from './reader.ts';
import * as tags from './tags.ts';
import type {Term} from './terms.ts';
import {Atom, ErlFun, ErlMap, ImproperList, Pid, Port, Ref, Tuple} from './terms.ts';

/**
 * The decoder's steps: it pauses (yields) every few hundred terms so a driver
 * can hand the event loop back between slices of a large input.
 */
export type DecodeSteps<T> = Generator<void, T, void>;

/**
 * Decodes one term body (no version byte) from the reader's position, as a
 * generator: run it to the end at once (`runSteps`) or in slices. Every term
 * is charged to the budget, which fails the decode past its limit.
 */
export class TermDecoder {
	readonly #r: Reader;
	readonly #budget: DecodeBudget;

	constructor(reader: Reader, budget: DecodeBudget) {
		this.#r = reader;
		this.#budget = budget;
	}

	* term(depth: number): DecodeSteps<Term> {
		const r = this.#r;
		const offset = r.pos;
		if (r.remaining === 0) {
			r.fail({tag: undefined, offset}, 'the input ends where a term should start');
		}
		const tag = r.u8({tag: undefined, offset}, 'the tag');
		const site: Site = {tag, offset};
		if (depth >= MAX_DEPTH) {
			r.fail(site, `terms nest deeper than ${MAX_DEPTH} levels`);
		}
		if (this.#budget.chargeTerm(r, site)) {
			yield;
		}
		switch (tag) {
			case tags.SMALL_INTEGER_EXT: return r.u8(site, 'the value');
			case tags.INTEGER_EXT: return r.i32(site, 'the value');
			case tags.SMALL_BIG_EXT: return readBig(r, site, r.u8(site, 'the digit count'));
			case tags.LARGE_BIG_EXT: return readBig(r, site, r.u32(site, 'the digit count'));
			case tags.NEW_FLOAT_EXT: return checkFloat(r, site, r.f64(site, 'the value'));
			case tags.FLOAT_EXT: return readOldFloat(r, site);
			case tags.ATOM_EXT: return readAtom(r, site, r.u16(site, 'the length'), 'latin1');
			case tags.SMALL_ATOM_EXT: return readAtom(r, site, r.u8(site, 'the length'), 'latin1');
			case tags.ATOM_UTF8_EXT: return readAtom(r, site, r.u16(site, 'the length'), 'utf8');
			case tags.SMALL_ATOM_UTF8_EXT: return readAtom(r, site, r.u8(site, 'the length'), 'utf8');
			case tags.BINARY_EXT: return r.bytes(site, r.u32(site, 'the length'), 'the data');
			case tags.BIT_BINARY_EXT: return readBitBinary(r, site);
			case tags.STRING_EXT: return r.view(site, r.u16(site, 'the length'), 'the characters').toString('latin1');
			case tags.NIL_EXT: return [];
			case tags.LIST_EXT: return yield* this.#list(site, depth);
			case tags.SMALL_TUPLE_EXT: return yield* this.#tuple(site, depth, r.u8(site, 'the arity'));
			case tags.LARGE_TUPLE_EXT: return yield* this.#tuple(site, depth, r.u32(site, 'the arity'));
			case tags.MAP_EXT: return yield* this.#map(site, depth);
			case tags.PID_EXT:
			case tags.NEW_PID_EXT: {
				const node = yield* this.#node(site, depth);
				const id = r.u32(site, 'the id');
				const serial = r.u32(site, 'the serial');
				const creation = tag === tags.PID_EXT ? r.u8(site, 'the creation') : r.u32(site, 'the creation');
				return new Pid(node, id, serial, creation);
			}
			case tags.REFERENCE_EXT: {
				const node = yield* this.#node(site, depth);
				const id = r.u32(site, 'the id');
				return new Ref(node, r.u8(site, 'the creation'), [id]);
			}
			case tags.NEW_REFERENCE_EXT:
			case tags.NEWER_REFERENCE_EXT: return yield* this.#reference(site, depth);
			case tags.PORT_EXT:
			case tags.NEW_PORT_EXT:
			case tags.V4_PORT_EXT: return yield* this.#port(site, depth);
			case tags.NEW_FUN_EXT: return yield* this.#newFun(site, depth);
			case tags.EXPORT_EXT: return yield* this.#exportFun(site, depth);
			case tags.COMPRESSED: return r.fail(site, 'a compressed term may only follow the version byte');
			case tags.ATOM_CACHE_REF: return r.fail(site, 'atom cache references are not supported (do not negotiate the atom cache flag)');
			case tags.LOCAL_EXT: return r.fail(site, 'node-local terms are not supported');
			default: return r.fail(site, 'this byte is not a term tag');
		}
	}

	* #list(site: Site, depth: number): DecodeSteps<Term> {
		const r = this.#r;
		const count = r.u32(site, 'the length');
		r.expectRoom(site, count + 1, `claims ${count} elements and a tail`);
		const elements: Term[] = [];
		for (let index = 0; index < count; index++) {
			elements.push(yield* this.term(depth + 1));
		}
		const tail = yield* this.term(depth + 1);
		if (count === 0) {
			return tail; // what erts does with an empty LIST_EXT
		}
		return Array.isArray(tail) && tail.length === 0 ? elements : new ImproperList(elements, tail);
	}

	* #tuple(site: Site, depth: number, arity: number): DecodeSteps<Tuple> {
		this.#r.expectRoom(site, arity, `claims ${arity} elements`);
		const elements: Term[] = [];
		for (let index = 0; index < arity; index++) {
			elements.push(yield* this.term(depth + 1));
		}
		return new Tuple(elements);
	}

	* #map(site: Site, depth: number): DecodeSteps<ErlMap> {
		const r = this.#r;
		const arity = r.u32(site, 'the arity');
		r.expectRoom(site, 2 * arity, `claims ${arity} entries`);
		const entries: (readonly [Term, Term])[] = [];
		const seen = new Set<string>();
		for (let index = 0; index < arity; index++) {
			const keyOffset = r.pos;
			const key = yield* this.term(depth + 1);
			const identity = leafIdentity(key);
			if (identity !== undefined) {
				if (seen.has(identity)) {
					r.fail(site, `the key at offset ${keyOffset} repeats an earlier key`);
				}
				seen.add(identity);
			}
			entries.push([key, yield* this.term(depth + 1)]);
		}
		return new ErlMap(entries);
	}

	* #node(site: Site, depth: number, what = 'the node'): DecodeSteps<Atom> {
		const offset = this.#r.pos;
		const node = yield* this.term(depth + 1);
		if (!(node instanceof Atom)) {
			this.#r.fail(site, `${what} at offset ${offset} is not an atom`);
		}
		return node;
	}

	* #reference(site: Site, depth: number): DecodeSteps<Ref> {
		const r = this.#r;
		const count = r.u16(site, 'the id count');
		if (count > MAX_REF_IDS) {
			r.fail(site, `${count} id words is more than the ${MAX_REF_IDS} Erlang allows`);
		}
		const node = yield* this.#node(site, depth);
		const creation = site.tag === tags.NEW_REFERENCE_EXT ? r.u8(site, 'the creation') : r.u32(site, 'the creation');
		const ids: number[] = [];
		for (let index = 0; index < count; index++) {
			ids.push(r.u32(site, 'an id word'));
		}
		return new Ref(node, creation, ids);
	}

	* #port(site: Site, depth: number): DecodeSteps<Port> {
		const r = this.#r;
		const node = yield* this.#node(site, depth);
		if (site.tag === tags.V4_PORT_EXT) {
			const id = r.u64(site, 'the id');
			const creation = r.u32(site, 'the creation');
			return new Port(node, id <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(id) : id, creation);
		}
		const id = r.u32(site, 'the id');
		const creation = site.tag === tags.PORT_EXT ? r.u8(site, 'the creation') : r.u32(site, 'the creation');
		return new Port(node, id, creation);
	}

	/** Size, Arity, Uniq, Index, NumFree, Module, OldIndex, OldUniq, Pid, free variables. */
	* #newFun(site: Site, depth: number): DecodeSteps<ErlFun> {
		const r = this.#r;
		const size = r.u32(site, 'the size');
		if (size < 4 || size - 4 > r.remaining) {
			r.fail(site, `the size field claims ${size} bytes but ${r.remaining + 4} remain (and at least 4 are needed)`);
		}
		const start = site.offset + 1;
		const end = start + size;
		const restore = r.limitTo(end);
		try {
			r.skip(site, 1 + 16 + 4, 'the arity, uniq and index');
			const free = r.u32(site, 'the free variable count');
			yield* this.#node(site, depth, 'the module');
			yield* this.#integer(site, depth, 'OldIndex');
			yield* this.#integer(site, depth, 'OldUniq');
			if (!((yield* this.term(depth + 1)) instanceof Pid)) {
				r.fail(site, 'the creator is not a pid');
			}
			r.expectRoom(site, free, `claims ${free} free variables`);
			for (let index = 0; index < free; index++) {
				yield* this.term(depth + 1);
			}
			if (r.pos !== end) {
				r.fail(site, `the size field says ${size} bytes but the fields take ${r.pos - start}`);
			}
		} finally {
			restore();
		}
		return new ErlFun(tags.NEW_FUN_EXT, r.copy(start, end));
	}

	/** Module, Function, Arity. */
	* #exportFun(site: Site, depth: number): DecodeSteps<ErlFun> {
		const r = this.#r;
		const start = r.pos;
		yield* this.#node(site, depth, 'the module');
		yield* this.#node(site, depth, 'the function name');
		const arity = yield* this.#integer(site, depth, 'the arity');
		if (typeof arity !== 'number' || arity < 0 || arity > 255) {
			r.fail(site, `the arity ${arity} is outside 0..255`);
		}
		return new ErlFun(tags.EXPORT_EXT, r.copy(start, r.pos));
	}

	* #integer(site: Site, depth: number, what: string): DecodeSteps<number | bigint> {
		const offset = this.#r.pos;
		const value = yield* this.term(depth + 1);
		if (typeof value !== 'number' && typeof value !== 'bigint') {
			this.#r.fail(site, `${what} at offset ${offset} is not an integer`);
		}
		return value;
	}
}

/** Larger binary keys are not checked for duplicates: their identity string would cost too much. */
const MAX_KEY_BYTES_COMPARED = 4096;

/** A string naming a simple map key, for spotting duplicate keys cheaply; undefined for compound keys. */
function leafIdentity(key: Term): string | undefined {
	if (key instanceof Atom) {
		return `a${key.name}`;
	}
	if (typeof key === 'number' || typeof key === 'bigint') {
		return `i${key}`;
	}
	if (typeof key === 'string') {
		return `s${key}`;
	}
	if (Buffer.isBuffer(key) && key.byteLength <= MAX_KEY_BYTES_COMPARED) {
		return `b${key.toString('latin1')}`;
	}
	return undefined;
}
