import {basename, dirname, isAbsolute, join, normalize, posix} from 'node:path';
import {ReloaderError, describeValue} from '../errors.ts';

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

/**
 * Which modules must be recompiled when headers change: per source file
 * (`.erl` or `.hrl`, absolute path) its includes, resolved against the files
 * the graph has been told about. A header it does not know is no dependency:
 * the graph answers for the trees it is shown, not for OTP's own headers.
 *
 * Resolution follows epp (the compiler's preprocessor):
 * - `-include("p")`: `p` itself when absolute; else the first known of
 *   `p` beside the including file, then in each include directory. The
 *   including file is the header itself for a nested include, as in epp
 *   (its own directory heads the search path while it is read). The
 *   compiler's working directory is searched first too; it is unknown
 *   here, so give it as an include directory when it matters.
 * - `-include_lib("app/rest")`: first like `-include` (epp tries that
 *   first); when nothing known is found there, every known file whose path
 *   ends in `/<dir>/<rest>` where `<dir>` is the application's directory:
 *   `app`, `app-<version>`, or Debian's `p1_app-<version>` (ejabberd's xmpp
 *   library is installed as `p1_xmpp-1.6.1`). The compiler takes the one on
 *   its code path, which is unknown here, so all of them count.
 *
 * Resolution happens when asked, not when told, so a header appearing later
 * (or one shadowing another in an earlier directory) counts from then on. The
 * inverted graph is built once per change to what the graph knows.
 */
export class IncludeGraph {
	readonly #includeDirectories: string[] = [];
	readonly #includes = new Map<string, readonly Include[]>();
	/** Known files by base name: the candidates for an `-include_lib`. */
	readonly #byName = new Map<string, Set<string>>();
	/** File → the files that include it directly; rebuilt after each change. */
	#includers: Map<string, Set<string>> | undefined;

	/**
	 * `includeDirectories`: absolute directories searched for an
	 * `-include("x.hrl")` after the including file's own directory, in order,
	 * like erlc's `-I` options (ejabberd's `include/` beside `src/`).
	 */
	constructor(includeDirectories: readonly string[] = []) {
		this.addIncludeDirectories(includeDirectories);
	}

	/** More include directories, searched after those given before (a source tree found while the daemon runs). */
	addIncludeDirectories(includeDirectories: readonly string[]): void {
		const problems = includeDirectories.flatMap((directory, position) => typeof directory === 'string' && isAbsolute(directory) ? [] : [`includeDirectories[${position}]: expected an absolute directory, got ${describeValue(directory)}`]);
		if (problems.length > 0) {
			throw new ReloaderError('ERR_CONFIG_INVALID', problems.join('; '), {
				hint: 'Give include directories as absolute paths; a relative one would depend on the daemon\'s working directory.',
			});
		}
		const known = new Set(this.#includeDirectories);
		this.#includeDirectories.push(...includeDirectories.map(directory => normalize(directory)).filter(directory => !known.has(directory)));
		this.#includers = undefined;
	}

	/** What `file` includes now (parseIncludes of its text); replaces what it included before. */
	set(file: string, includes: readonly Include[]): void {
		const path = normalizeFile(file);
		const name = basename(path);
		this.#byName.set(name, (this.#byName.get(name) ?? new Set()).add(path));
		this.#includes.set(path, includes);
		this.#includers = undefined;
	}

	/**
	 * `file` is gone. Ask includersOf([file]) first when a header is deleted:
	 * its includers no longer compile, and recompiling them says so.
	 */
	delete(file: string): void {
		const path = normalizeFile(file);
		if (!this.#includes.delete(path)) {
			return;
		}
		const name = basename(path);
		const named = this.#byName.get(name);
		named?.delete(path);
		if (named?.size === 0) {
			this.#byName.delete(name);
		}
		this.#includers = undefined;
	}

	/**
	 * The `.erl` files that include any of `changedHeaders`, directly or through
	 * other headers, sorted. Each file is visited once, so include cycles end.
	 * A changed file is itself in the answer only when it includes a changed one.
	 */
	includersOf(changedHeaders: readonly string[]): string[] {
		const includers = this.#includers ??= this.#invert();
		const reached = new Set<string>();
		const pending = changedHeaders.map(header => normalizeFile(header));
		for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
			for (const includer of includers.get(file) ?? []) {
				if (!reached.has(includer)) {
					reached.add(includer);
					pending.push(includer);
				}
			}
		}
		return [...reached].filter(file => file.endsWith('.erl')).sort();
	}

	#invert(): Map<string, Set<string>> {
		const includers = new Map<string, Set<string>>();
		for (const [file, includes] of this.#includes) {
			for (const include of includes) {
				for (const target of this.#resolve(file, include)) {
					const set = includers.get(target) ?? new Set();
					set.add(file);
					includers.set(target, set);
				}
			}
		}
		return includers;
	}

	#resolve(file: string, include: Include): readonly string[] {
		if (isAbsolute(include.path)) {
			const path = normalize(include.path);
			return this.#includes.has(path) ? [path] : [];
		}
		const relative = [dirname(file), ...this.#includeDirectories].map(directory => join(directory, include.path)).find(path => this.#includes.has(path));
		if (relative !== undefined) {
			return [relative];
		}
		return include.kind === 'include_lib' ? this.#resolveLib(include.path) : [];
	}

	/** `app/include/x.hrl` → the known `.../<app dir>/include/x.hrl`. */
	#resolveLib(path: string): readonly string[] {
		const slash = path.indexOf('/');
		const app = path.slice(0, slash);
		const rest = posix.normalize(path.slice(slash + 1));
		if (slash <= 0 || rest === '.' || rest === '..' || rest.startsWith('../') || rest.startsWith('/')) {
			return [];
		}
		const suffix = `/${rest}`;
		return [...this.#byName.get(basename(rest)) ?? []].filter(known => known.endsWith(suffix) && isAppDirectory(basename(known.slice(0, -suffix.length)), app));
	}
}

const VERSION = /^\d[\w.+~-]*$/;

/** `xmpp`, `xmpp-1.6.1`, `p1_xmpp-1.6.1` (Debian) are each the directory of application `xmpp`. */
function isAppDirectory(directory: string, app: string): boolean {
	if (directory === app) {
		return true;
	}
	const prefix = [`${app}-`, `p1_${app}-`].find(prefix => directory.startsWith(prefix));
	return prefix !== undefined && VERSION.test(directory.slice(prefix.length));
}

function normalizeFile(file: string): string {
	if (!isAbsolute(file)) {
		throw new TypeError(`Expected an absolute path of a source file, got ${describeValue(file)}`);
	}
	return normalize(file);
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
