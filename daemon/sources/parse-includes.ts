/** One `-include("path").` or `-include_lib("app/path").` attribute, the path as written. */
export interface Include {
	readonly kind: 'include' | 'include_lib';
	readonly path: string;
}

/** epp refuses a longer include name (`length(Name) =< 1024`), so no longer one is a dependency. */
const MAX_INCLUDE_PATH = 1024;

/** Where the scan is in the attribute `- include ( "a" "b" ) .`, token by token. */
type Expect = 'form' | 'attribute' | 'open' | 'path' | 'pathOrClose' | 'dot' | 'rest';

/**
 * The includes of an Erlang source, in order, each once. A scanner, not a
 * regex: one pass over the text, every character looked at a bounded number
 * of times, so a huge or hostile file costs linear time. It skips what could
 * hide `-include` or fake a comment: `%` comments, strings (also OTP 27's
 * triple-quoted ones and sigils), quoted atoms and character literals (`$%`,
 * `$"`). An attribute counts only at the start of a form (after a `.` that
 * ends one), so an `-include(...)` inside a macro body is not one.
 *
 * Includes under `-ifdef`/`-if` are kept whichever branch they are in:
 * which branch is taken depends on the compiler's options, and a header
 * included under any branch is conservatively a dependency. Adjacent strings
 * are joined (`-include("a" "b")`), as epp does. A path built by a macro
 * (`-include(?X)`) cannot be known here and is left out.
 */
export function parseIncludes(text: string): readonly Include[] {
	const found = new Map<string, Include>();
	let expect: Expect = 'form';
	let kind: Include['kind'] = 'include';
	let path: string | undefined = '';
	let at = 0;
	while (at < text.length) {
		const code = text.charCodeAt(at);
		const start = at;
		if (isBlank(code)) {
			at++;
		} else if (code === PERCENT) {
			at = endOfLine(text, at);
		} else if (code === DOUBLE_QUOTE) {
			at = endOfString(text, at);
			if ((expect === 'path' || expect === 'pathOrClose') && !isTripleQuoted(text, start)) {
				const piece = decodeQuoted(text, start, at, DOUBLE_QUOTE);
				path = path === undefined || piece === undefined || path.length + piece.length > MAX_INCLUDE_PATH ? undefined : path + piece;
				expect = 'pathOrClose';
			} else {
				expect = 'rest';
			}
		} else if (code === QUOTE) {
			at = endOfQuoted(text, at, QUOTE, true);
			const atom: string | undefined = expect === 'attribute' ? decodeQuoted(text, start, at, QUOTE) : undefined;
			expect = atom === 'include' || atom === 'include_lib' ? 'open' : 'rest';
			kind = atom === 'include_lib' ? 'include_lib' : 'include';
			path = '';
		} else if (isNameChar(code)) {
			at = endOfName(text, at);
			const name: string | undefined = expect === 'attribute' ? text.slice(start, at) : undefined;
			expect = name === 'include' || name === 'include_lib' ? 'open' : 'rest';
			kind = name === 'include_lib' ? 'include_lib' : 'include';
			path = '';
		} else if (code === DOLLAR) {
			at = endOfCharLiteral(text, at);
			expect = 'rest';
		} else if (code === TILDE) {
			at = endOfSigil(text, at);
			expect = 'rest';
		} else if (code === DOT && (at + 1 === text.length || isBlank(text.charCodeAt(at + 1)) || text.charCodeAt(at + 1) === PERCENT)) {
			if (expect === 'dot' && path !== undefined && path !== '') {
				found.set(`${kind}\0${path}`, {kind, path});
			}
			at++;
			expect = 'form';
		} else {
			at++;
			expect = afterPunctuation(expect, code);
		}
	}
	return [...found.values()];
}

function afterPunctuation(expect: Expect, code: number): Expect {
	if (code === MINUS && expect === 'form') {
		return 'attribute';
	}
	if (code === OPEN_PAREN && expect === 'open') {
		return 'path';
	}
	return code === CLOSE_PAREN && expect === 'pathOrClose' ? 'dot' : 'rest';
}

/** Erlang's whitespace: control characters, space, and Latin-1's 128-160. */
function isBlank(code: number): boolean {
	return code <= SPACE || (code >= 128 && code <= 160);
}

function isNameChar(code: number): boolean {
	return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95 || code === 64;
}

function endOfName(text: string, at: number): number {
	let end = at;
	while (end < text.length && isNameChar(text.charCodeAt(end))) {
		end++;
	}
	return end;
}

function endOfLine(text: string, at: number): number {
	const newline = text.indexOf('\n', at);
	return newline === -1 ? text.length : newline + 1;
}

/** Past the closing `quote`, or the end of an unterminated literal (erlc rejects the file; nothing after it counts). */
function endOfQuoted(text: string, at: number, quote: number, escapes: boolean): number {
	let end = at + 1;
	while (end < text.length) {
		const code = text.charCodeAt(end);
		if (code === quote) {
			return end + 1;
		}
		end += escapes && code === BACKSLASH ? 2 : 1;
	}
	return text.length;
}

function isTripleQuoted(text: string, at: number): boolean {
	return text.startsWith('"""', at);
}

/**
 * A string, or OTP 27's triple-quoted one: `"""` (or more quotes) to the end
 * of its line, closed by a line holding only blanks and as many quotes. Each
 * run of quotes is stepped over once, so even a hostile run costs linear time.
 */
function endOfString(text: string, at: number): number {
	if (!isTripleQuoted(text, at)) {
		return endOfQuoted(text, at, DOUBLE_QUOTE, true);
	}
	const quotes = endOfQuotes(text, at) - at;
	let line = endOfLine(text, at);
	while (line < text.length) {
		let first = line;
		while (first < text.length && (text.charCodeAt(first) === SPACE || text.charCodeAt(first) === TAB)) {
			first++;
		}
		const run = endOfQuotes(text, first);
		if (run - first === quotes) {
			return run;
		}
		line = endOfLine(text, run);
	}
	return text.length;
}

function endOfQuotes(text: string, at: number): number {
	let end = at;
	while (end < text.length && text.charCodeAt(end) === DOUBLE_QUOTE) {
		end++;
	}
	return end;
}

/** `$a`, `$%`, `$"`, `$\n`, `$\"`, `$\^"`; the rest of a longer escape (`$\x{22}`, `$\101`) is harmless to scan on. */
function endOfCharLiteral(text: string, at: number): number {
	if (text.charCodeAt(at + 1) !== BACKSLASH) {
		return Math.min(at + 2, text.length);
	}
	return Math.min(at + (text.charCodeAt(at + 2) === CARET ? 4 : 3), text.length);
}

const SIGIL_CLOSE: Readonly<Record<string, string>> = {'(': ')', '[': ']', '{': '}', '<': '>', '/': '/', '|': '|', '\'': '\'', '"': '"', '`': '`', '#': '#'};

/**
 * OTP 27's sigils: `~`, a name (`s`, `b`, `S`, `B`, or none), then a delimited
 * string whose body may hold `"` or `%`. Uppercase names are verbatim: no
 * escapes. A `~` followed by anything else is scanned on as punctuation.
 */
function endOfSigil(text: string, at: number): number {
	const open = endOfName(text, at + 1);
	const close = SIGIL_CLOSE[text.charAt(open)];
	if (close === undefined) {
		return at + 1;
	}
	if (close === '"') {
		return endOfString(text, open);
	}
	const verbatim = open > at + 1 && text.charCodeAt(at + 1) >= 65 && text.charCodeAt(at + 1) <= 90;
	return endOfQuoted(text, open, close.charCodeAt(0), !verbatim);
}

const ESCAPES: Readonly<Record<string, string>> = {b: '\b', d: '\x7f', e: '\x1b', f: '\f', n: '\n', r: '\r', s: ' ', t: '\t', v: '\v'};

/**
 * The text of the literal between `start` and `end` (past its closing quote),
 * or undefined when it is unterminated, or too long to be worth decoding
 * (a path of more than MAX_INCLUDE_PATH characters is none).
 * Single-character escapes only: octal, `\x` and `\^` escapes have no place
 * in a file name and come out as the characters written.
 */
function decodeQuoted(text: string, start: number, end: number, quote: number): string | undefined {
	if (end - start - 2 > 2 * MAX_INCLUDE_PATH || text.charCodeAt(end - 1) !== quote || end - start < 2) {
		return undefined;
	}
	let value = '';
	for (let at = start + 1; at < end - 1; at++) {
		const char = text.charAt(at);
		if (char === '\\') {
			at++;
			const escaped = text.charAt(at);
			value += ESCAPES[escaped] ?? escaped;
		} else {
			value += char;
		}
	}
	return value;
}


const TAB = 0x09;
const SPACE = 0x20;
const DOUBLE_QUOTE = 0x22;
const DOLLAR = 0x24;
const PERCENT = 0x25;
const QUOTE = 0x27;
const OPEN_PAREN = 0x28;
const CLOSE_PAREN = 0x29;
const MINUS = 0x2D;
const DOT = 0x2E;
const BACKSLASH = 0x5C;
const CARET = 0x5E;
const TILDE = 0x7E;

