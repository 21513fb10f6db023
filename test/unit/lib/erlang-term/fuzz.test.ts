/**
 * Hostile input: random bytes and mutations of valid encodings. decodeTerm
 * must return a term or throw TermError ERR_ETF_DECODE, nothing else; a
 * term it returns must re-encode (the decoder accepts nothing the encoder
 * cannot write back). Deterministic: a fixed-seed generator drives it all.
 */
import {deflateSync} from 'node:zlib';
import test from 'ava';
import fc from 'fast-check';
import {TermError} from '../../../../daemon/lib/erlang-term/index.ts';
import {decodeTerm, decodeTermAt, encodeTerm} from '../../../../daemon/lib/erlang-term/index.ts';
import {termArbitrary} from './_arbitraries.ts';

/** xorshift32: small, fast, reproducible. */
function makeRandom(seed: number): (below: number) => number {
	let state = seed >>> 0 || 1;
	return below => {
		state ^= state << 13;
		state >>>= 0;
		state ^= state >>> 17;
		state ^= state << 5;
		state >>>= 0;
		return state % below;
	};
}

const TAGS = [70, 77, 80, 82, 88, 89, 90, 97, 98, 99, 100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111, 112, 113, 114, 115, 116, 118, 119, 120, 121];
const HUGE = [0xffff_ffff, 0x7fff_ffff, 0x8000_0000, 0x00ff_ffff, 0x0400_0001, 0x0001_0000];

type Mutation = (input: Buffer, random: (below: number) => number) => Buffer;

const mutations: readonly Mutation[] = [
	function flipBit(input, random) {
		const copy = Buffer.from(input);
		const at = random(copy.length);
		copy[at] = (copy[at] ?? 0) ^ (1 << random(8));
		return copy;
	},
	function truncate(input, random) {
		return input.subarray(0, random(input.length));
	},
	function insertBytes(input, random) {
		const at = random(input.length + 1);
		const extra = Buffer.from(Array.from({length: 1 + random(6)}, () => random(256)));
		return Buffer.concat([input.subarray(0, at), extra, input.subarray(at)]);
	},
	function overwriteLength(input, random) {
		const copy = Buffer.concat([input, Buffer.alloc(4)]);
		const at = 1 + random(Math.max(1, input.length - 1));
		const value = HUGE[random(HUGE.length)] ?? 0;
		switch (random(3)) {
			case 0: copy.writeUInt32BE(value, at); break;
			case 1: copy.writeUInt16BE(value & 0xffff, at); break;
			default: copy.writeUInt8(0xff, at);
		}
		return copy.subarray(0, input.length + random(5));
	},
	function replaceWithTag(input, random) {
		const copy = Buffer.from(input);
		copy[random(copy.length)] = TAGS[random(TAGS.length)] ?? 0;
		return copy;
	},
	function duplicateSlice(input, random) {
		const start = random(input.length);
		const end = start + random(input.length - start + 1);
		return Buffer.concat([input.subarray(0, end), input.subarray(start, end), input.subarray(end)]);
	},
];

interface Failure {
	readonly input: string;
	readonly error: string;
}

function tryDecode(input: Buffer, failures: Failure[]): 'term' | 'error' {
	try {
		const term = decodeTerm(input);
		const encoded = encodeTerm(term);
		if (!encodeTerm(decodeTerm(encoded)).equals(encoded)) {
			failures.push({input: input.toString('hex'), error: 'the decoded term does not survive a round trip'});
		}
		return 'term';
	} catch (error) {
		if (!(error instanceof TermError && error.code === 'ERR_ETF_DECODE')) {
			failures.push({input: input.toString('hex'), error: String(error)});
		}
		return 'error';
	}
}

function seedInputs(): Buffer[] {
	const generated = fc.sample(termArbitrary, {seed: 42, numRuns: 150}).map(term => encodeTerm(term));
	const compressedBody = encodeTerm([...'compressible'.repeat(20)].map(() => 'abc')).subarray(1);
	const compressed = Buffer.concat([Buffer.from([131, 80, 0, 0, 0, 0]), deflateSync(compressedBody)]);
	compressed.writeUInt32BE(compressedBody.length, 2);
	const erlangFun = Buffer.from('83700000008F00065361AA461590D1BDF1EB62D1A6EB080000002B0000000164000865726C5F6576616C612B6200329B0D5864000D6E6F6E6F6465406E6F686F7374000000090000000000000000680661046A6400046E6F6E656400046E6F6E6574000000006C000000016805640006636C6175736561046A6A6C00000001680364000461746F6D61046400026F6B6A6A', 'hex');
	return [...generated, compressed, erlangFun, encodeTerm(1n << 3000n)];
}

test('mutated valid encodings decode or fail with ERR_ETF_DECODE, nothing else', t => {
	const random = makeRandom(0x5eed);
	const seeds = seedInputs();
	const failures: Failure[] = [];
	const outcomes = {term: 0, error: 0};
	for (let round = 0; round < 20_000; round++) {
		const seed = seeds[random(seeds.length)] ?? Buffer.from([131, 106]);
		let input = seed;
		for (let count = 1 + random(3); count > 0 && input.length > 0; count--) {
			input = mutations[random(mutations.length)]?.(input, random) ?? input;
		}
		outcomes[tryDecode(input, failures)]++;
	}
	t.deepEqual(failures.slice(0, 5), []);
	t.true(outcomes.error > 1000, 'most mutations break the term');
	t.true(outcomes.term > 100, 'some mutations still decode');
});

test('random bytes after the version byte decode or fail with ERR_ETF_DECODE', t => {
	const random = makeRandom(0xfeed);
	const failures: Failure[] = [];
	for (let round = 0; round < 20_000; round++) {
		const body = Array.from({length: random(40)}, () => random(256));
		if (random(2) === 0 && body.length > 0) {
			body[0] = TAGS[random(TAGS.length)] ?? 0;
		}
		tryDecode(Buffer.from([131, ...body]), failures);
	}
	t.deepEqual(failures.slice(0, 5), []);
});

test('decodeTermAt at every offset of a valid encoding fails only with ERR_ETF_DECODE', t => {
	const failures: Failure[] = [];
	for (const input of seedInputs().slice(0, 40)) {
		for (let offset = 0; offset <= input.length; offset++) {
			try {
				decodeTermAt(input, offset);
			} catch (error) {
				if (!(error instanceof TermError && error.code === 'ERR_ETF_DECODE')) {
					failures.push({input: `${input.toString('hex')}@${offset}`, error: String(error)});
				}
			}
		}
	}
	t.deepEqual(failures.slice(0, 5), []);
});
