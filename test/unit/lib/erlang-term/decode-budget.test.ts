import {deflateSync} from 'node:zlib';
import test from 'ava';
import {DecodeBudget, TERMS_PER_STEP, atom, decodeTerm, decodeTermAt, decodeTermAtInSlices, encodeTerm} from '../../../../daemon/lib/erlang-term/index.ts';

/** `[[], [], ...]`: the list, `count` empty lists and the `[]` tail: count + 2 terms. */
const nils = (count: number): Buffer => {
	const bytes = Buffer.alloc(7 + count, 106);
	bytes.set([131, 108], 0);
	bytes.writeUInt32BE(count, 2);
	return bytes;
};

/** A compressed term holding a `size`-character charlist. */
const compressedString = (size: number): Buffer => {
	const inflated = Buffer.alloc(3 + size, 97);
	inflated.set([107, size >> 8, size & 0xff]);
	const header = Buffer.from([131, 80, 0, 0, 0, 0]);
	header.writeUInt32BE(inflated.byteLength, 2);
	return Buffer.concat([header, deflateSync(inflated)]);
};

test('a decode may produce up to maxTerms terms, not one more', t => {
	t.is((decodeTerm(nils(8), {maxTerms: 10}) as unknown[]).length, 8);
	const error = t.throws(() => decodeTerm(nils(9), {maxTerms: 10}));
	t.like(error, {name: 'TermError', code: 'ERR_ETF_LIMIT'});
	t.regex(error?.message ?? '', /^Refusing an Erlang term: NIL_EXT \(106\) at offset \d+: the input holds more than the 10 terms allowed\.$/);
	t.regex((error as {hint?: string} | undefined)?.hint ?? '', /broken or hostile/);
});

test('one budget spans several terms: the terms of one message are limited together', t => {
	const twice = Buffer.concat([nils(5), nils(5)]);
	const budget = new DecodeBudget({maxTerms: 10});
	const first = decodeTermAt(twice, 0, budget);
	t.is(budget.terms, 7);
	t.throws(() => decodeTermAt(twice, first.end, budget), {code: 'ERR_ETF_LIMIT'});
});

test('inflation is reserved from the declared size before inflating, and shared by every compressed term of the budget', t => {
	const one = compressedString(600);
	t.is(decodeTerm(one, {maxInflatedBytes: 603}), 'a'.repeat(600));
	t.throws(() => decodeTerm(one, {maxInflatedBytes: 602}), {code: 'ERR_ETF_LIMIT', message: /COMPRESSED \(80\) at offset 1: the compressed term would inflate to 603 bytes, over the 602 bytes allowed\./});
	const budget = new DecodeBudget({maxInflatedBytes: 1000});
	decodeTermAt(one, 0, budget);
	t.throws(() => decodeTermAt(one, 0, budget), {code: 'ERR_ETF_LIMIT', message: /over the 1000 bytes allowed \(603 already inflated\)/});
});

test('limits must be positive integers', t => {
	t.throws(() => new DecodeBudget({maxTerms: 0}), {code: 'ERR_ETF_LIMIT', message: 'maxTerms must be a positive integer, got `0` (number)'});
	t.throws(() => new DecodeBudget({maxInflatedBytes: 1.5}), {code: 'ERR_ETF_LIMIT', message: /maxInflatedBytes must be a positive integer, got `1.5`/});
});

test('decodeTermAtInSlices gives the event loop back between slices and decodes the same term', async t => {
	const input = nils(20 * TERMS_PER_STEP);
	let immediates = 0;
	const counting = (): void => {
		immediates++;
		if (immediates < 1000) {
			setImmediate(counting);
		}
	};
	setImmediate(counting);
	const sliced = await decodeTermAtInSlices(input, 0, undefined, 0);
	const during = immediates;
	t.deepEqual(sliced, decodeTermAt(input, 0));
	// With a zero-length slice, every pause of the decoder is a turn of the event loop.
	t.true(during >= 19, `${during} turns of the event loop ran during the decode`);
});

test('decodeTermAtInSlices fails like decodeTermAt', async t => {
	await t.throwsAsync(decodeTermAtInSlices(nils(100), 0, {maxTerms: 50}), {code: 'ERR_ETF_LIMIT'});
	await t.throwsAsync(decodeTermAtInSlices(Buffer.from([131, 255]), 0), {code: 'ERR_ETF_DECODE'});
	t.deepEqual(await decodeTermAtInSlices(encodeTerm(atom('ok')), 0), {term: atom('ok'), end: 5});
});

test('an integer of more than 64 KiB of digits is refused before it is converted', t => {
	const digits = 64 * 1024 + 1;
	const bytes = Buffer.alloc(7 + digits, 0xab);
	bytes.set([131, 111], 0);
	bytes.writeUInt32BE(digits, 2);
	bytes[6] = 0;
	t.throws(() => decodeTerm(bytes), {code: 'ERR_ETF_DECODE', message: /LARGE_BIG_EXT \(111\) at offset 1: a 65537-byte integer is larger than the 65536 bytes this decoder accepts/});
	t.is(typeof decodeTerm(Buffer.concat([bytes.subarray(0, 2), Buffer.from([0, 1, 0, 0]), bytes.subarray(6, 7 + 65_536)])), 'bigint');
});
