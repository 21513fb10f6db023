import test, {type ExecutionContext} from 'ava';
import {describeBytes, escapeUntrusted, quoteUntrusted} from '../../../../daemon/lib/untrusted-text/index.ts';

const quotes = test.macro({
	exec(t: ExecutionContext, input: string | Uint8Array, expected: string, maxLength?: number) {
		t.is(quoteUntrusted(input, maxLength), expected);
	},
	title: (provided = '') => `quoteUntrusted: ${provided}`,
});

test('plain text is kept, in quotes', quotes, 'mod_hello', '"mod_hello"');
test('quotes and backslashes are escaped', quotes, 'a "b" \\c', String.raw`"a \"b\" \\c"`);
test('newline, return and tab are escaped as in JavaScript', quotes, 'a\nb\rc\td', String.raw`"a\nb\rc\td"`);
test('other ASCII controls and DEL become \\xHH', quotes, 'ok\u0000\u001B[2J\u007F', String.raw`"ok\x00\x1b[2J\x7f"`);
test('C1 controls, bidi overrides, zero-width and line separators become \\u{...}', quotes, 'a\u0085b\u202Ec\u200Bd\u2028e\uFEFF', String.raw`"a\u{0085}b\u{202e}c\u{200b}d\u{2028}e\u{feff}"`);
test('spaces other than U+0020 are escaped', quotes, 'a\u00A0b\u3000c', String.raw`"a\u{00a0}b\u{3000}c"`);
test('a lone surrogate is escaped', quotes, 'a\uD800b', String.raw`"a\u{d800}b"`);
test('printable non-ASCII text is kept', quotes, 'héllo wörld ✓ 𝄞', '"héllo wörld ✓ 𝄞"');
test('bytes that are valid UTF-8 are shown as text', quotes, Buffer.from('root ✓'), '"root ✓"');
test('bytes that are not UTF-8 become \\xHH', quotes, Buffer.from([0x72, 0xff, 0xc3, 0x28, 0xed, 0xa0, 0x80, 0xc0, 0xaf]), String.raw`"r\xff\xc3(\xed\xa0\x80\xc0\xaf"`);
test('a truncated multi-byte sequence at the end becomes \\xHH', quotes, Buffer.from([0x61, 0xe2, 0x9c]), String.raw`"a\xe2\x9c"`);
test('long text is cut and its length given', quotes, 'x'.repeat(100), `"${'x'.repeat(80)}…" (100 characters)`);
test('long bytes are cut and their length given', quotes, Buffer.alloc(1024 * 1024), `"${String.raw`\x00`.repeat(8)}…" (1048576 bytes)`, 8);
test('a cut never splits a surrogate pair', quotes, `ab𝄞cd`, '"ab…" (6 characters)', 3);
test('input of exactly maxLength is not cut', quotes, 'abcd', '"abcd"', 4);
test('empty input', quotes, '', '""');

test('escapeUntrusted is the same without quotes, and keeps double quotes', t => {
	t.is(escapeUntrusted('/tmp/a "b"\n'), String.raw`/tmp/a "b"\n`);
	t.is(escapeUntrusted('x'.repeat(10), 4), 'xxxx…(10 characters)');
	t.is(escapeUntrusted(Buffer.from([0x6f, 0x6b, 0x00])), String.raw`ok\x00`);
});

test('the result of escaping never holds a control or line-breaking character', t => {
	const everyByte = Buffer.from(Array.from({length: 256}, (_, byte) => byte));
	const everyBmpCharacter = Array.from({length: 0x1_0000}, (_, code) => String.fromCharCode(code)).join('');
	for (const result of [quoteUntrusted(everyByte, 1000), quoteUntrusted(everyBmpCharacter, 100_000)]) {
		t.false(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u.test(result));
	}
});

test('describeBytes gives the length and the first bytes in hex', t => {
	t.is(describeBytes(Buffer.from('root')), '4 bytes: 72 6f 6f 74');
	t.is(describeBytes(Buffer.from([0])), '1 byte: 00');
	t.is(describeBytes(Buffer.alloc(0)), '0 bytes');
	t.is(describeBytes(Buffer.alloc(1000, 0xab), 4), '1000 bytes: ab ab ab ab …');
	t.is(describeBytes(Buffer.alloc(16, 1)), `16 bytes: ${Array.from({length: 16}, () => '01').join(' ')}`);
});

test('the app reaches the helpers through daemon/errors.ts', async t => {
	const errors = await import('../../../../daemon/errors.ts');
	t.is(errors.quoteUntrusted, quoteUntrusted);
	t.is(errors.escapeUntrusted, escapeUntrusted);
	t.is(errors.describeBytes, describeBytes);
});
