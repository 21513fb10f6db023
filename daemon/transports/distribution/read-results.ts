import {ReloaderError} from '../../errors.ts';
import {Atom, formatTerm, isAtom, isTuple, Tuple, type Term} from '../../lib/erlang-term/index.ts';
import type {UpdateResult} from '../transport.ts';

/**
 * Pure readers of what ejabberd_update and code answer over rpc. Every shape
 * ejabberd 23.01 was seen to return is named here; anything else is an error
 * that quotes the term.
 */

/** `{ok, Dir, UpdatedBeams, Script, LowLevelScript, Check}` → the listed modules. */
export function readUpdateInfo(term: Term): {modules: string[]; dir: string} {
	if (isTuple(term, 6) && isAtom(term.elements[0], 'ok') && Array.isArray(term.elements[2])) {
		const modules = term.elements[2].map(element => {
			if (!(element instanceof Atom)) {
				throw unexpected('update_info', term);
			}
			return element.name;
		});
		return {modules, dir: readCharlist(term.elements[1]) ?? ''};
	}
	const reason = readRpcFailure(term) ?? (isTuple(term, 2) && isAtom(term.elements[0], 'error') ? formatTerm(term.elements[1] as Term) : undefined);
	if (reason !== undefined) {
		throw new ReloaderError('ERR_NODE_COMMAND', `ejabberd_update:update_info() failed on the node: ${reason}`, {
			hint: 'Check that the directory of ejabberd.beam is readable by the node (see ejabberd.log).',
		});
	}
	throw unexpected('update_info', term);
}

/**
 * `update/1`'s answer as a result. `{ok, L}` in either version's shape: 23.01's
 * release_handler list of `{Mod, PurgeMethod}` (unpurged), 24.10+'s list of
 * updated modules; any other list is still `ok`, with neither set (the raw
 * answer stays in the record, verification decides). `{error, R}`,
 * `{'EXIT', R}` and an rpc exception are failures.
 */
export function readUpdateResult(term: Term): UpdateResult {
	if (isTuple(term, 2)) {
		const [tag, value] = term.elements as [Term, Term];
		if (isAtom(tag, 'ok') && Array.isArray(value)) {
			return readOkList(value);
		}
		if (isAtom(tag, 'error')) {
			return {kind: 'error', reason: formatTerm(value, 500)};
		}
		if (isAtom(tag, 'EXIT')) {
			return {kind: 'exit', reason: formatTerm(value, 500)};
		}
		if (isAtom(tag, 'badrpc')) {
			const inner = isTuple(value, 2) && isAtom(value.elements[0], 'EXIT') ? value.elements[1] as Term : value;
			return {kind: 'exit', reason: formatTerm(inner, 500)};
		}
	}
	return {kind: 'error', reason: `unexpected answer ${formatTerm(term, 500)}`};
}

function readOkList(value: readonly Term[]): UpdateResult {
	if (value.length === 0) {
		return {kind: 'ok', unpurged: []};
	}
	if (value.every(element => element instanceof Atom)) {
		return {kind: 'ok', updated: value.map(element => (element as Atom).name)};
	}
	const pairs = value.map(element => (isTuple(element, 2) && element.elements[0] instanceof Atom && element.elements[1] instanceof Atom ? element.elements[0].name : undefined));
	if (pairs.every(module => module !== undefined)) {
		return {kind: 'ok', unpurged: pairs};
	}
	return {kind: 'ok'};
}

/** `{badrpc, R}` → R formatted; anything else → undefined. */
export function readRpcFailure(term: Term): string | undefined {
	if (isTuple(term, 2) && isAtom(term.elements[0], 'badrpc')) {
		return formatTerm(term.elements[1] as Term, 500);
	}
	return undefined;
}

/** A charlist (STRING_EXT decodes to a JS string; a long or wide one is a list of integers). */
export function readCharlist(term: Term | undefined): string | undefined {
	if (typeof term === 'string') {
		return term;
	}
	if (Array.isArray(term) && term.every(element => typeof element === 'number')) {
		return String.fromCodePoint(...term);
	}
	return undefined;
}

/** A 16-byte binary (`module_info(md5)`, `beam_lib:md5/1`) as lowercase hex. */
export function readMd5(term: Term | undefined): string | undefined {
	return Buffer.isBuffer(term) && term.length === 16 ? term.toString('hex') : undefined;
}

/** `{ok, {Module, Md5}}` from `beam_lib:md5/1`. */
export function readBeamLibMd5(term: Term): string | undefined {
	if (isTuple(term, 2) && isAtom(term.elements[0], 'ok') && isTuple(term.elements[1], 2)) {
		return readMd5(term.elements[1].elements[1]);
	}
	return undefined;
}

/** `{ok, Vsn}` from `application:get_key(ejabberd, vsn)`; `undefined` otherwise (ejabberd not loaded, an rpc failure). */
export function readApplicationVsn(term: Term): string | undefined {
	if (isTuple(term, 2) && isAtom(term.elements[0], 'ok')) {
		return readCharlist(term.elements[1]);
	}
	return undefined;
}

export function isLoadedAnswer(term: Term): boolean {
	// code:is_loaded/1: {file, Loaded} or false.
	return term instanceof Tuple && isAtom(term.elements[0], 'file');
}

function unexpected(what: string, term: Term): ReloaderError {
	return new ReloaderError('ERR_NODE_COMMAND', `Unexpected answer from ejabberd_update:${what}: ${formatTerm(term, 300)}`, {
		hint: 'This daemon reads ejabberd 23.01 and 24.12 (and later 24.x); another version may answer differently: report it with this answer.',
	});
}
