/** One error or warning erlc printed, where it points and what it says. */
export interface CompileDiagnostic {
	readonly file: string;
	readonly line?: number;
	readonly column?: number;
	readonly severity: 'error' | 'warning';
	/** One line: a message erlc wrapped (a parse transform's crash) is joined with spaces. */
	readonly message: string;
	/** The source lines erlc quoted below it (OTP 24+): `%   12| code`, then the caret line. */
	readonly excerpt?: readonly string[];
}

export interface DiagnosticLimits {
	/** Diagnostics kept; the rest are only counted. */
	readonly maxDiagnostics: number;
	/** Characters of one message, of one excerpt line, and of one line of other output. */
	readonly maxLineLength: number;
	/** Excerpt lines kept per diagnostic. */
	readonly maxExcerptLines: number;
	/** Lines of other output kept (erlc's own notes, a crash report). */
	readonly maxOtherLines: number;
}

/**
 * A module can make erlc print without end (a macro expanding to thousands
 * of bad lines): these keep what a developer reads, and no more, in memory
 * and in every record that carries the diagnostics.
 */
export const DEFAULT_DIAGNOSTIC_LIMITS: DiagnosticLimits = Object.freeze({
	maxDiagnostics: 50,
	maxLineLength: 1000,
	maxExcerptLines: 4,
	maxOtherLines: 20,
});

export interface ParsedCompilerOutput {
	readonly diagnostics: readonly CompileDiagnostic[];
	/** Diagnostics past `maxDiagnostics`: counted, not kept. */
	readonly omitted: {readonly errors: number; readonly warnings: number};
	/** Lines that belong to no diagnostic, e.g. `compile: warnings being treated as errors` or a VM that did not boot. */
	readonly otherLines: readonly string[];
}

// `file:line:col: message`, `file:line: message` (`+{error_location,line}`, or a
// location without a column). The file is never empty and holds no `: `.
const LOCATED = /^(\S(?:(?!: ).)*?):(\d+)(?::(\d+))?: (.*)$/;
// `file: message` with no location (`undefined parse transform 'x'`): only
// for an Erlang file name, so a wrapped message line (`exception error: ...`)
// is not taken for one.
const UNLOCATED = /^(\S(?:(?!: ).)*?\.(?:erl|hrl|yrl|xrl|beam|core|S|asn1?|mib|app\.src)): (.*)$/;
// `%   12| code` and `%     |    ^` below a diagnostic (OTP 24 on).
const EXCERPT = /^% +\d*\| ?/;
const WARNING_PREFIX = /^warning: */i;

/**
 * erlc's report (stdout and stderr as they came) as diagnostics. Formats, as
 * OTP 25 and 27 print them (fixtures/sources/erlc-output/):
 * `file:line:col: message`, `file:line:col: Warning: message`, the same
 * without `:col` (or without `:line:col`), each followed by the quoted
 * source and a blank line; with `-Werror` the warnings come without
 * `Warning:` after `compile: warnings being treated as errors`, and are
 * errors. A line that is none of these right below a diagnostic continues
 * its message (a parse transform's crash report spans lines).
 */
export function parseCompilerOutput(output: string, limits: DiagnosticLimits = DEFAULT_DIAGNOSTIC_LIMITS): ParsedCompilerOutput {
	const diagnostics: CompileDiagnostic[] = [];
	const otherLines: string[] = [];
	const omitted = {errors: 0, warnings: 0};
	let open: OpenDiagnostic | undefined;
	const close = (): void => {
		if (open?.kept === true) {
			diagnostics.push(finish(open, limits));
		}
		open = undefined;
	};
	for (const line of output.split(/\r?\n/)) {
		const header = parseHeader(line);
		if (header !== undefined) {
			close();
			const kept = diagnostics.length < limits.maxDiagnostics;
			open = {...header, kept, parts: [header.message], length: header.message.length, excerpt: [], inExcerpt: false};
			if (!kept) {
				omitted[header.severity === 'error' ? 'errors' : 'warnings'] += 1;
			}
			continue;
		}
		if (open !== undefined && EXCERPT.test(line)) {
			open.inExcerpt = true;
			if (open.kept && open.excerpt.length < limits.maxExcerptLines) {
				open.excerpt.push(printable(line, limits.maxLineLength));
			}
			continue;
		}
		if (line.trim() === '') {
			close();
			continue;
		}
		if (open !== undefined && !open.inExcerpt) {
			// Bounded by the characters kept per message, however many lines erlc wraps it in.
			if (open.kept && open.length <= limits.maxLineLength) {
				const part = line.trim();
				open.parts.push(part);
				open.length += part.length + 1;
			}
			continue;
		}
		close();
		if (otherLines.length < limits.maxOtherLines) {
			otherLines.push(printable(line, limits.maxLineLength));
		}
	}
	close();
	return {diagnostics, omitted, otherLines};
}

/** `file:line:col: message`, `file:line:col: warning: message`; `file:line:` or `file:` where erlc gave no more. */
export function formatDiagnostic(diagnostic: CompileDiagnostic): string {
	const location = [diagnostic.file, diagnostic.line, diagnostic.line === undefined ? undefined : diagnostic.column].filter(part => part !== undefined).join(':');
	return `${location}: ${diagnostic.severity === 'warning' ? 'warning: ' : ''}${diagnostic.message}`;
}

/** What `omitted` says, for a line after the diagnostics kept: `3 errors and 120 warnings more left out (...)`. */
export function describeOmitted(omitted: ParsedCompilerOutput['omitted']): string | undefined {
	if (omitted.errors === 0 && omitted.warnings === 0) {
		return undefined;
	}
	const counts = [count(omitted.errors, 'error'), count(omitted.warnings, 'warning')].filter(part => part !== undefined);
	return `${counts.join(' and ')} more left out (only the first ones are kept)`;
}

interface Header {
	readonly file: string;
	readonly line?: number;
	readonly column?: number;
	readonly severity: 'error' | 'warning';
	readonly message: string;
}

interface OpenDiagnostic extends Header {
	/** False past `maxDiagnostics`: read to its end, then only counted. */
	readonly kept: boolean;
	readonly parts: string[];
	/** Characters in `parts` joined. */
	length: number;
	readonly excerpt: string[];
	inExcerpt: boolean;
}

function parseHeader(line: string): Header | undefined {
	const located = LOCATED.exec(line);
	if (located !== null) {
		const [, file = '', lineText = '', columnText, rest = ''] = located;
		return {file, line: Number(lineText), ...(columnText === undefined ? {} : {column: Number(columnText)}), ...severityOf(rest)};
	}
	const unlocated = UNLOCATED.exec(line);
	if (unlocated !== null) {
		const [, file = '', rest = ''] = unlocated;
		return {file, ...severityOf(rest)};
	}
	return undefined;
}

function severityOf(text: string): {severity: 'error' | 'warning'; message: string} {
	return WARNING_PREFIX.test(text) ? {severity: 'warning', message: text.replace(WARNING_PREFIX, '')} : {severity: 'error', message: text};
}

function finish(open: OpenDiagnostic, limits: DiagnosticLimits): CompileDiagnostic {
	return {
		file: printable(open.file, limits.maxLineLength),
		...(open.line === undefined ? {} : {line: open.line}),
		...(open.column === undefined ? {} : {column: open.column}),
		severity: open.severity,
		message: printable(open.parts.join(' '), limits.maxLineLength),
		...(open.excerpt.length === 0 ? {} : {excerpt: open.excerpt}),
	};
}

// Source text reaches terminals and logs through these strings: control and
// format characters (a terminal escape, a bidi override in a string literal)
// are shown as escapes. Tabs stay, so an excerpt's caret still lines up.
const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu;

/** `text` cut to `maxLength` characters (saying how long it was), control and format characters shown as escapes. */
export function printable(text: string, maxLength: number): string {
	const shown = text.length > maxLength ? `${cutAtCodePoint(text, maxLength)}…(${text.length} characters)` : text;
	return shown.replace(UNPRINTABLE, character => character === '\t' ? character : `\\u{${(character.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}}`);
}

/** The first `length` UTF-16 code units, one fewer when that would split a surrogate pair. */
function cutAtCodePoint(text: string, length: number): string {
	const last = text.charCodeAt(length - 1);
	return text.slice(0, last >= 0xd800 && last <= 0xdbff ? length - 1 : length);
}

function count(amount: number, noun: string): string | undefined {
	return amount === 0 ? undefined : `${amount} ${noun}${amount === 1 ? '' : 's'}`;
}
