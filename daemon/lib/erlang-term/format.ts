import {decodeTermBodyAt} from './decode.ts';
import {MAX_DEPTH} from './limits.ts';
import {EXPORT_EXT} from './tags.ts';
import type {Term} from './terms.ts';
import {Atom, BitBinary, ErlFloat, ErlFun, ErlMap, ImproperList, Pid, Port, Ref, Tuple} from './terms.ts';

/** Output is cut here (and `...` appended): a term can be megabytes long. */
export const DEFAULT_FORMAT_LENGTH = 2000;

const RESERVED_WORDS = new Set([
	'after', 'and', 'andalso', 'band', 'begin', 'bnot', 'bor', 'bsl', 'bsr', 'bxor', 'case', 'catch', 'cond', 'div', 'else',
	'end', 'fun', 'if', 'let', 'maybe', 'not', 'of', 'or', 'orelse', 'receive', 'rem', 'try', 'when', 'xor',
]);
/**
 * Valid characters that would not show as themselves in a log line (bidi
 * overrides, zero-width and other format characters, separators, private use,
 * unassigned): a peer's text must not reorder or hide what follows it.
 */
const INVISIBLE = /[\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}]/u;
const ESCAPES = new Map([[8, '\\b'], [9, '\\t'], [10, '\\n'], [11, '\\v'], [12, '\\f'], [13, '\\r'], [27, '\\e'], [92, '\\\\']]);

/** Collects output up to a budget, so formatting a huge term stops early. */
class Output {
	readonly #parts: string[] = [];
	readonly #limit: number;
	#length = 0;

	constructor(limit: number) {
		this.#limit = limit;
	}

	get full(): boolean {
		return this.#length > this.#limit;
	}

	push(text: string): void {
		if (!this.full) {
			this.#parts.push(text);
			this.#length += text.length;
		}
	}

	text(): string {
		const text = this.#parts.join('');
		return text.length > this.#limit ? `${text.slice(0, this.#limit)}...` : text;
	}
}

/** A term in Erlang syntax, for logs and error messages: `{ok,[mod_a]}`, `<<1,2>>`, `'Quoted atom'`. */
export function formatTerm(term: Term, maxLength = DEFAULT_FORMAT_LENGTH): string {
	const out = new Output(maxLength);
	write(out, term, 0);
	return out.text();
}

function write(out: Output, term: Term, depth: number): void {
	if (out.full) {
		return;
	}
	if (depth >= MAX_DEPTH) {
		out.push('...');
	} else if (typeof term === 'number' || typeof term === 'bigint') {
		out.push(typeof term === 'bigint' || Number.isSafeInteger(term) ? String(term) : Number.isInteger(term) ? String(BigInt(term)) : formatFloat(term));
	} else if (typeof term === 'string') {
		out.push(formatCharlist(term));
	} else if (Array.isArray(term)) {
		writeList(out, term, undefined, depth);
	} else if (term instanceof Uint8Array) {
		out.push(formatBinary(term, 8));
	} else if (term instanceof Atom) {
		out.push(formatAtom(term.name));
	} else if (term instanceof ErlFloat) {
		out.push(formatFloat(term.value));
	} else if (term instanceof Tuple) {
		writeSequence(out, '{', term.elements, '}', depth);
	} else if (term instanceof ImproperList) {
		writeList(out, term.elements, term.tail, depth);
	} else if (term instanceof ErlMap) {
		writeMap(out, term, depth);
	} else if (term instanceof BitBinary) {
		out.push(formatBinary(term.data, term.bits));
	} else if (term instanceof Pid) {
		out.push(`<${formatAtom(term.node.name)}.${term.id}.${term.serial}>`);
	} else if (term instanceof Ref) {
		out.push(`#Ref<${[formatAtom(term.node.name), ...[...term.ids].reverse()].join('.')}>`);
	} else if (term instanceof Port) {
		out.push(`#Port<${formatAtom(term.node.name)}.${term.id}>`);
	} else if (term instanceof ErlFun) {
		out.push(formatFun(term));
	} else {
		out.push(`<not a term: ${typeof term}>`);
	}
}

function writeSequence(out: Output, open: string, elements: readonly Term[], close: string, depth: number): void {
	out.push(open);
	for (const [index, element] of elements.entries()) {
		if (out.full) {
			return;
		}
		out.push(index === 0 ? '' : ',');
		write(out, element, depth + 1);
	}
	out.push(close);
}

function writeList(out: Output, elements: readonly Term[], tail: Term | undefined, depth: number): void {
	if (tail === undefined) {
		writeSequence(out, '[', elements, ']', depth);
		return;
	}
	writeSequence(out, '[', elements, '|', depth);
	write(out, tail, depth + 1);
	out.push(']');
}

function writeMap(out: Output, term: ErlMap, depth: number): void {
	out.push('#{');
	for (const [index, [key, value]] of term.entries.entries()) {
		if (out.full) {
			return;
		}
		out.push(index === 0 ? '' : ',');
		write(out, key, depth + 1);
		out.push(' => ');
		write(out, value, depth + 1);
	}
	out.push('}');
}

function formatAtom(name: string): string {
	if (/^[a-z][A-Za-z0-9_@]*$/.test(name) && !RESERVED_WORDS.has(name)) {
		return name;
	}
	return `'${escape(name, "'")}'`;
}

/** Erlang prints `1.0`, `1.5e-7`, `1.0e100` where JS prints `1`, `1.5e-7`, `1e+100`. */
function formatFloat(value: number): string {
	const [mantissa = '', exponent] = String(value).split('e');
	const withPoint = mantissa.includes('.') ? mantissa : `${mantissa}.0`;
	return exponent === undefined ? withPoint : `${withPoint}e${exponent.replace('+', '')}`;
}

/** A charlist prints as a string when every character is printable, else as its integers. */
function formatCharlist(text: string): string {
	if (text.length === 0) {
		return '[]';
	}
	const codes = [...text].map(character => character.codePointAt(0) ?? 0);
	return codes.every(code => isPrintable(code)) ? `"${escape(text, '"')}"` : `[${codes.join(',')}]`;
}

/** Only the first bytes of a large binary are looked at; `Output` cuts the rest anyway. */
const MAX_BINARY_BYTES_SHOWN = 1024;

function formatBinary(data: Uint8Array, lastBits: number): string {
	const shown = data.subarray(0, MAX_BINARY_BYTES_SHOWN);
	const more = data.byteLength > shown.byteLength ? '...' : '';
	if (lastBits === 8 && data.byteLength > 0 && shown.every(byte => isPrintable(byte))) {
		return `<<"${escape(Buffer.from(shown).toString('latin1'), '"')}${more}">>`;
	}
	const bytes = [...shown].map(String);
	const last = data[data.byteLength - 1];
	if (more === '' && lastBits < 8 && last !== undefined) {
		bytes[bytes.length - 1] = `${last >> (8 - lastBits)}:${lastBits}`;
	}
	return `<<${bytes.join(',')}${more}>>`;
}

function formatFun(fun: ErlFun): string {
	try {
		if (fun.tag === EXPORT_EXT) {
			const module = decodeTermBodyAt(fun.raw, 0);
			const name = decodeTermBodyAt(fun.raw, module.end);
			const arity = decodeTermBodyAt(fun.raw, name.end);
			return `fun ${formatTerm(module.term)}:${formatTerm(name.term)}/${formatTerm(arity.term)}`;
		}
		// Size(4) Arity(1) Uniq(16) Index(4) NumFree(4), then Module, OldIndex, OldUniq.
		const module = decodeTermBodyAt(fun.raw, 29);
		const index = decodeTermBodyAt(fun.raw, module.end);
		const uniq = decodeTermBodyAt(fun.raw, index.end);
		return `#Fun<${formatTerm(module.term)}.${formatTerm(index.term)}.${formatTerm(uniq.term)}>`;
	} catch {
		return '#Fun<?>';
	}
}

function isPrintable(code: number): boolean {
	return (code >= 32 && code < 127) || (code >= 160 && (code < 0xd800 || code > 0xdfff)) || ESCAPES.has(code);
}

function escape(text: string, quote: string): string {
	let result = '';
	for (const character of text) {
		const code = character.codePointAt(0) ?? 0;
		if (character === quote) {
			result += `\\${quote}`;
		} else if (ESCAPES.has(code)) {
			result += ESCAPES.get(code);
		} else if (code < 32 || (code >= 127 && code < 160) || INVISIBLE.test(character)) {
			result += `\\x{${code.toString(16).toUpperCase()}}`;
		} else {
			result += character;
		}
	}
	return result;
}
