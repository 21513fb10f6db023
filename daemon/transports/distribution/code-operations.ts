import {atom, formatTerm, isAtom, isTuple, type Term} from '../../lib/erlang-term/index.ts';
import type {ModuleLocation, PurgeMode} from '../transport.ts';

/** One allow-listed remote call; the transport supplies it. */
export type RemoteCall = (module: string, fn: string, args: readonly Term[], signal?: AbortSignal) => Promise<Term>;

/** Processes asked at once when looking for holders of old code. */
const PROCESS_CHUNK = 64;

/**
 * Load a beam the way `code` does it by hand: purge the old code first (a
 * module may have at most one old version), softly; then load the file. When
 * processes still run the old code, `soft` refuses, `brutal` kills them, as
 * ejabberd_update's own script does.
 */
export async function loadBeamFile(call: RemoteCall, {module, path}: ModuleLocation, purge: PurgeMode, signal?: AbortSignal): Promise<string | undefined> {
	const name = atom(module);
	const softlyPurged = isAtom(await call('code', 'soft_purge', [name], signal), 'true');
	if (!softlyPurged) {
		if (purge === 'soft') {
			return 'processes still run its old code, and purge is soft';
		}
		// The daemon found these processes before and reports them as killed.
		await call('code', 'purge', [name], signal);
	}
	// code:load_abs/1 takes the path without `.beam`.
	const loaded = await call('code', 'load_abs', [path.replace(/\.beam$/, '')], signal);
	if (isTuple(loaded, 2) && isAtom(loaded.elements[0], 'module')) {
		return undefined;
	}
	return `code:load_abs refused ${path}: ${formatTerm(loaded, 300)}`;
}

/** For each module with old code, the processes still running it (erlang:check_process_code/2). */
export async function findOldCodeHolders(call: RemoteCall, modules: readonly string[], signal?: AbortSignal): Promise<Map<string, string[]>> {
	const holders = new Map<string, string[]>();
	const withOldCode: string[] = [];
	for (const module of modules) {
		if (isAtom(await call('erlang', 'check_old_code', [atom(module)], signal), 'true')) {
			withOldCode.push(module);
		}
	}
	if (withOldCode.length === 0) {
		return holders;
	}
	const processes = await call('erlang', 'processes', [], signal);
	const pids = Array.isArray(processes) ? processes : [];
	for (const module of withOldCode) {
		const found: string[] = [];
		for (let start = 0; start < pids.length; start += PROCESS_CHUNK) {
			const chunk = pids.slice(start, start + PROCESS_CHUNK);
			const answers = await Promise.all(chunk.map(async pid => call('erlang', 'check_process_code', [pid as Term, atom(module)], signal)));
			answers.forEach((answer, index) => {
				if (isAtom(answer, 'true')) {
					found.push(formatTerm(chunk[index] as Term));
				}
			});
		}
		if (found.length > 0) {
			holders.set(module, found);
		}
	}
	return holders;
}
