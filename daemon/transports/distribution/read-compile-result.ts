import {ReloaderError} from '../../errors.ts';
import {Atom, ImproperList, formatTerm, isAtom, isTuple, type Term} from '../../lib/erlang-term/index.ts';
import type {NodeCompileCause} from '../node-compile.ts';
import {readCharlist} from './read-results.ts';

/**
 * Pure readers of what `compile:file(Source, [binary, return_errors,
 * return_warnings | _])` answers, as OTP 25 and 27 were seen to answer it:
 * `{ok, Mod, Binary, Warnings}` or `{error, Errors, Warnings}`, where Errors
 * and Warnings are `[{File, [{Location, Module, Descriptor}]}]` and Location
 * is `none`, `Line` or `{Line, Column}`.
 */

/** One `{Location, Module, Descriptor}`, its file as the node names it. */
export interface ErrorInfo {
	readonly file: string;
	readonly line?: number;
	readonly column?: number;
	/** The module whose format_error/1 turns the descriptor into a message. */
	readonly reporter: string;
	readonly descriptor: Term;
	readonly cause?: NodeCompileCause;
}

export interface CompileAnswer {
	/** The module the beam holds, when compiled. */
	readonly module: string | undefined;
	readonly beam: Buffer | undefined;
	readonly errors: readonly ErrorInfo[];
	readonly warnings: readonly ErrorInfo[];
}

/** compile:file's answer; anything else is an ERR_NODE_COMMAND quoting it. */
export function readCompileAnswer(term: Term): CompileAnswer {
	if (isTuple(term, 4) && isAtom(term.elements[0], 'ok') && term.elements[1] instanceof Atom && Buffer.isBuffer(term.elements[2])) {
		return {module: term.elements[1].name, beam: term.elements[2], errors: [], warnings: readErrorInfos(term.elements[3] as Term, term)};
	}
	if (isTuple(term, 3) && isAtom(term.elements[0], 'error')) {
		return {module: undefined, beam: undefined, errors: readErrorInfos(term.elements[1] as Term, term), warnings: readErrorInfos(term.elements[2] as Term, term)};
	}
	// Without return_errors compile:file answers a bare `error`; kept apart from an answer that is no compile result at all.
	if (isAtom(term, 'error')) {
		return {module: undefined, beam: undefined, errors: [], warnings: []};
	}
	throw unexpected(term);
}

/** `[{File, [{Location, Module, Descriptor}]}]`, flattened in the order given. */
function readErrorInfos(list: Term, whole: Term): ErrorInfo[] {
	if (!Array.isArray(list)) {
		throw unexpected(whole);
	}
	const infos: ErrorInfo[] = [];
	for (const entry of list) {
		const file = isTuple(entry, 2) ? readCharlist(entry.elements[0]) : undefined;
		const items = isTuple(entry, 2) ? entry.elements[1] : undefined;
		if (file === undefined || !Array.isArray(items)) {
			throw unexpected(whole);
		}
		for (const item of items) {
			if (!isTuple(item, 3) || !(item.elements[1] instanceof Atom)) {
				throw unexpected(whole);
			}
			const [location, reporter, descriptor] = item.elements as [Term, Atom, Term];
			const cause = causeOf(reporter.name, descriptor);
			infos.push({file, ...readLocation(location), reporter: reporter.name, descriptor, ...(cause === undefined ? {} : {cause})});
		}
	}
	return infos;
}

/** `none`, `Line`, `{Line, Column}`. */
function readLocation(location: Term): {line?: number; column?: number} {
	if (typeof location === 'number' && location > 0) {
		return {line: location};
	}
	if (isTuple(location, 2) && typeof location.elements[0] === 'number' && typeof location.elements[1] === 'number' && location.elements[0] > 0) {
		return {line: location.elements[0], column: location.elements[1]};
	}
	return {};
}

/**
 * The two failures whose remedy is not in the source: compile:file could not
 * read the file where the node looked (`{none, compile, {epp, enoent}}`), and
 * epp resolved no `-include_lib` (`{include, lib, "xmpp/include/xmpp.hrl"}`).
 */
function causeOf(reporter: string, descriptor: Term): NodeCompileCause | undefined {
	if (reporter === 'compile' && isTuple(descriptor, 2) && isAtom(descriptor.elements[0], 'epp') && descriptor.elements[1] instanceof Atom) {
		return {kind: 'unreadable', reason: descriptor.elements[1].name};
	}
	if (reporter === 'epp' && isTuple(descriptor, 3) && isAtom(descriptor.elements[0], 'include') && isAtom(descriptor.elements[1], 'lib')) {
		const path = readCharlist(descriptor.elements[2]);
		if (path !== undefined) {
			return {kind: 'includeLib', path, application: path.split('/')[0] ?? path};
		}
	}
	return undefined;
}

/**
 * Chardata as format_error/1 returns it (a deep list of characters, strings
 * and UTF-8 binaries, maybe improper at its tail) as text, cut after
 * `maxChars`; undefined when it is none.
 */
export function readChardata(term: Term, maxChars: number): string | undefined {
	const parts: string[] = [];
	let length = 0;
	// Iterative, so a deeply nested answer cannot exhaust the stack.
	const stack: Term[] = [term];
	while (stack.length > 0 && length < maxChars) {
		const next = stack.pop() as Term;
		let part: string;
		if (typeof next === 'string') {
			part = next;
		} else if (typeof next === 'number' && Number.isInteger(next) && next >= 0 && next <= 0x10_ffff && !(next >= 0xd800 && next <= 0xdfff)) {
			part = String.fromCodePoint(next);
		} else if (Buffer.isBuffer(next)) {
			part = next.toString('utf8');
		} else if (Array.isArray(next)) {
			for (let index = next.length - 1; index >= 0; index--) {
				stack.push(next[index] as Term);
			}
			continue;
		} else if (next instanceof ImproperList) {
			stack.push(next.tail);
			for (let index = next.elements.length - 1; index >= 0; index--) {
				stack.push(next.elements[index] as Term);
			}
			continue;
		} else {
			return undefined;
		}
		parts.push(part);
		length += part.length;
	}
	const text = parts.join('');
	return text.length > maxChars ? text.slice(0, maxChars) : text;
}

function unexpected(term: Term): ReloaderError {
	return new ReloaderError('ERR_NODE_COMMAND', `Unexpected answer from compile:file: ${formatTerm(term, 300)}`, {
		hint: 'This daemon reads compile:file\'s answers of OTP 25 to 27; another release may answer differently: report it with this answer, and set compile.compiler: erlc meanwhile.',
	});
}
