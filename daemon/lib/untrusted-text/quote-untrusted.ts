/**
 * Bytes from files and peers are not ours to print as they are: a control
 * byte can rewrite a terminal line, break a JSON log reader or hide the rest
 * of a message, and a megabyte of junk buries the message. These helpers turn
 * such input into one printable line, short enough to read.
 */

/** Input units (bytes, or UTF-16 code units for a string) shown before the rest is summarised. */
export const DEFAULT_SHOWN_LENGTH = 80;
/** Bytes `describeBytes` shows in hex before it summarises. */
export const DEFAULT_SHOWN_BYTES = 16;

/**
 * Characters escaped even when they are valid text: controls, format
 * characters (bidi overrides, zero-width), surrogates, private use, unassigned
 * code points, line and paragraph separators, and spaces other than ' '.
 */
const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/u;

const utf8 = new TextDecoder('utf-8', {fatal: true});

const NAMED_ESCAPES: Readonly<Record<string, string>> = {'\n': '\\n', '\r': '\\r', '\t': '\\t', '\\': '\\\\'};

/**
 * The input as one printable line, without quotes: `\n`, `\r`, `\t` and `\\`
 * as in JavaScript, other unprintable ASCII as `\xHH`, other unprintable code
 * points as `\u{HHHH}`, and (bytes only) bytes that are not valid UTF-8 as
 * `\xHH`. Longer than `maxLength` units (bytes, or UTF-16 code units for a
 * string): the first `maxLength`, then `…(N bytes)` or `…(N characters)`.
 */
export function escapeUntrusted(input: string | Uint8Array, maxLength = DEFAULT_SHOWN_LENGTH): string {
	const {escaped, rest} = render(input, maxLength, '');
	return rest === undefined ? escaped : `${escaped}…(${rest})`;
}

/**
 * `escapeUntrusted` in double quotes, with `"` escaped as well: `"root\x00"`,
 * `"aaaa…" (1048576 bytes)`. For a name or a status read from a peer or a file.
 */
export function quoteUntrusted(input: string | Uint8Array, maxLength = DEFAULT_SHOWN_LENGTH): string {
	const {escaped, rest} = render(input, maxLength, '"');
	return rest === undefined ? `"${escaped}"` : `"${escaped}…" (${rest})`;
}

/** Binary input as its length and its first bytes in hex: `5 bytes: 72 6f 6f 74 0a`, `1048576 bytes: 00 00 … `. */
export function describeBytes(bytes: Uint8Array, maxBytes = DEFAULT_SHOWN_BYTES): string {
	const count = `${bytes.byteLength} byte${bytes.byteLength === 1 ? '' : 's'}`;
	if (bytes.byteLength === 0) {
		return count;
	}
	const shown = Array.from(bytes.subarray(0, maxBytes), byte => byte.toString(16).padStart(2, '0')).join(' ');
	return `${count}: ${shown}${bytes.byteLength > maxBytes ? ' …' : ''}`;
}

/** The escaped first `maxLength` units, and when there were more, how many in all (`1048576 bytes`). */
function render(input: string | Uint8Array, maxLength: number, quote: string): {escaped: string; rest: string | undefined} {
	if (typeof input === 'string') {
		const truncated = input.length > maxLength;
		return {
			escaped: escapeString(truncated ? cutAtCodePoint(input, maxLength) : input, quote),
			rest: truncated ? `${input.length} characters` : undefined,
		};
	}
	const truncated = input.byteLength > maxLength;
	return {
		escaped: escapeBytes(truncated ? input.subarray(0, maxLength) : input, quote),
		rest: truncated ? `${input.byteLength} bytes` : undefined,
	};
}

function escapeString(text: string, quote: string): string {
	let out = '';
	for (const character of text) {
		out += escapeCodePoint(character, quote);
	}
	return out;
}

function escapeBytes(bytes: Uint8Array, quote: string): string {
	let out = '';
	let index = 0;
	while (index < bytes.byteLength) {
		const length = utf8SequenceLength(bytes, index);
		if (length === 0) {
			out += `\\x${hex2(bytes[index] ?? 0)}`;
			index += 1;
			continue;
		}
		out += escapeCodePoint(utf8.decode(bytes.subarray(index, index + length)), quote);
		index += length;
	}
	return out;
}

function escapeCodePoint(character: string, quote: string): string {
	if (character === quote) {
		return `\\${quote}`;
	}
	const named = NAMED_ESCAPES[character];
	if (named !== undefined) {
		return named;
	}
	if (character === ' ' || !UNPRINTABLE.test(character)) {
		return character;
	}
	const codePoint = character.codePointAt(0) ?? 0;
	return codePoint < 0x80 ? `\\x${hex2(codePoint)}` : `\\u{${codePoint.toString(16).padStart(4, '0')}}`;
}

/** The length of the valid, shortest-form UTF-8 sequence at `index`, or 0 when the byte there does not start one. */
function utf8SequenceLength(bytes: Uint8Array, index: number): number {
	const first = bytes[index] ?? 0;
	if (first < 0x80) {
		return 1;
	}
	// Each lead byte allows a narrower range for the second byte: no overlong forms, no surrogates, nothing past U+10FFFF.
	let length: number;
	let low = 0x80;
	let high = 0xbf;
	if (first >= 0xc2 && first <= 0xdf) {
		length = 2;
	} else if (first >= 0xe0 && first <= 0xef) {
		length = 3;
		low = first === 0xe0 ? 0xa0 : 0x80;
		high = first === 0xed ? 0x9f : 0xbf;
	} else if (first >= 0xf0 && first <= 0xf4) {
		length = 4;
		low = first === 0xf0 ? 0x90 : 0x80;
		high = first === 0xf4 ? 0x8f : 0xbf;
	} else {
		return 0;
	}
	if (index + length > bytes.byteLength) {
		return 0;
	}
	for (let offset = 1; offset < length; offset++) {
		const byte = bytes[index + offset] ?? 0;
		if (byte < (offset === 1 ? low : 0x80) || byte > (offset === 1 ? high : 0xbf)) {
			return 0;
		}
	}
	return length;
}

/** The first `length` UTF-16 code units, one fewer when that would split a surrogate pair. */
function cutAtCodePoint(text: string, length: number): string {
	const last = text.charCodeAt(length - 1);
	return text.slice(0, last >= 0xd800 && last <= 0xdbff ? length - 1 : length);
}

function hex2(value: number): string {
	return value.toString(16).padStart(2, '0');
}
