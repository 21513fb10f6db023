import test from 'ava';
import fc from 'fast-check';
import {decodeTerm, decodeTermAt, encodeTerm, encodeTermBody, formatTerm} from '../../../../daemon/lib/erlang-term/index.ts';
import {termArbitrary} from './_arbitraries.ts';

const runs = {numRuns: 500};

test('decodeTerm(encodeTerm(t)) gives back t for every kind of term', t => {
	fc.assert(fc.property(termArbitrary, term => {
		t.deepEqual(decodeTerm(encodeTerm(term)), term);
	}), runs);
});

test('encodeTerm(decodeTerm(bytes)) gives back the bytes encodeTerm wrote', t => {
	fc.assert(fc.property(termArbitrary, term => {
		const bytes = encodeTerm(term);
		t.deepEqual(encodeTerm(decodeTerm(bytes)), bytes);
	}), runs);
});

test('decodeTermAt walks terms written back to back', t => {
	fc.assert(fc.property(fc.array(termArbitrary, {minLength: 1, maxLength: 4}), terms => {
		const bytes = Buffer.concat([Buffer.from([7, 7]), ...terms.map(term => encodeTerm(term))]);
		let offset = 2;
		for (const term of terms) {
			const decoded = decodeTermAt(bytes, offset);
			t.deepEqual(decoded.term, term);
			offset = decoded.end;
		}
		t.is(offset, bytes.length);
	}), {numRuns: 200});
});

test('encodeTermBody is encodeTerm without the version byte', t => {
	fc.assert(fc.property(termArbitrary, term => {
		t.deepEqual(Buffer.concat([Buffer.from([131]), encodeTermBody(term)]), encodeTerm(term));
	}), {numRuns: 200});
});

test('formatTerm prints every term without throwing, within its length budget', t => {
	fc.assert(fc.property(termArbitrary, fc.integer({min: 1, max: 300}), (term, maxLength) => {
		const text = formatTerm(term, maxLength);
		t.true(text.length <= maxLength + 3);
	}), {numRuns: 300});
});
