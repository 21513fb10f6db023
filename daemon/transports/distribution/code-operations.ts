import {ReloaderError} from '../../errors.ts';
import {Atom, atom, formatTerm, isAtom, isTuple, type Term} from '../../lib/erlang-term/index.ts';
import type {HeldProcess, ModuleLocation, NodeVersions, PurgeMode} from '../transport.ts';
import {readApplicationVsn, readCharlist} from './read-results.ts';

/** One allow-listed remote call; the transport supplies it. `timeoutMs` replaces the transport's call timeout, for a call known to take long (a compile). */
export type RemoteCall = (module: string, fn: string, args: readonly Term[], signal?: AbortSignal, timeoutMs?: number) => Promise<Term>;

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

/**
 * For each module with old code, the processes still running it
 * (erlang:check_process_code/2), each described at once: a process a brutal
 * purge kills can no longer be asked who it was.
 */
export async function findOldCodeHolders(call: RemoteCall, modules: readonly string[], signal?: AbortSignal): Promise<Map<string, HeldProcess[]>> {
	const holders = new Map<string, HeldProcess[]>();
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
		const found: Term[] = [];
		for (let start = 0; start < pids.length; start += PROCESS_CHUNK) {
			const chunk = pids.slice(start, start + PROCESS_CHUNK);
			const answers = await Promise.all(chunk.map(async pid => call('erlang', 'check_process_code', [pid as Term, atom(module)], signal)));
			answers.forEach((answer, index) => {
				if (isAtom(answer, 'true')) {
					found.push(chunk[index] as Term);
				}
			});
		}
		if (found.length > 0) {
			holders.set(module, await Promise.all(found.map(async pid => describeProcess(call, pid, signal))));
		}
	}
	return holders;
}

const PROCESS_INFO_KEYS = ['registered_name', 'initial_call', 'current_function'].map(key => atom(key));

/** Registered name, initial call (proc_lib's real one) and current function of a live process; only the pid when it is gone. */
export async function describeProcess(call: RemoteCall, pid: Term, signal?: AbortSignal): Promise<HeldProcess> {
	const info = readProcessInfo(await call('erlang', 'process_info', [pid, PROCESS_INFO_KEYS], signal));
	const described: HeldProcess = {pid: formatTerm(pid), ...info};
	if (info.initialCall === 'proc_lib:init_p/5') {
		const real = formatMfa(await call('proc_lib', 'translate_initial_call', [pid], signal));
		return real === undefined ? described : {...described, initialCall: real};
	}
	return described;
}

/** `[{registered_name, N}, {initial_call, MFA}, {current_function, MFA}]` (`undefined` for a dead process). Pure. */
export function readProcessInfo(term: Term): Omit<HeldProcess, 'pid'> {
	if (!Array.isArray(term)) {
		return {};
	}
	const info: {name?: string; initialCall?: string; currentFunction?: string} = {};
	for (const item of term) {
		if (!isTuple(item, 2)) {
			continue;
		}
		const [key, value] = item.elements as [Term, Term];
		if (isAtom(key, 'registered_name') && value instanceof Atom) {
			info.name = value.name;
		} else if (isAtom(key, 'initial_call')) {
			const mfa = formatMfa(value);
			if (mfa !== undefined) {
				info.initialCall = mfa;
			}
		} else if (isAtom(key, 'current_function')) {
			const mfa = formatMfa(value);
			if (mfa !== undefined) {
				info.currentFunction = mfa;
			}
		}
	}
	return info;
}

/** `{M, F, A}` as `M:F/A`. */
function formatMfa(term: Term): string | undefined {
	if (isTuple(term, 3) && term.elements[0] instanceof Atom && term.elements[1] instanceof Atom && typeof term.elements[2] === 'number') {
		return `${term.elements[0].name}:${term.elements[1].name}/${term.elements[2]}`;
	}
	return undefined;
}

/**
 * ejabberd's application version and the OTP release. Best effort: each is
 * absent when the node does not say (ejabberd not loaded as an application).
 */
export async function readNodeVersions(call: RemoteCall, signal?: AbortSignal): Promise<NodeVersions> {
	// Only a node that went away fails the init step; an odd answer is an unknown version.
	const ask = async (module: string, fn: string, args: readonly Term[]): Promise<Term> => call(module, fn, args, signal).catch((error: unknown) => {
		if (error instanceof ReloaderError && error.retryable) {
			throw error;
		}
		return atom('undefined');
	});
	const [vsn, otp] = await Promise.all([
		ask('application', 'get_key', [atom('ejabberd'), atom('vsn')]),
		ask('erlang', 'system_info', [atom('otp_release')]),
	]);
	const ejabberd = readApplicationVsn(vsn);
	const release = readCharlist(otp);
	return {...(ejabberd === undefined ? {} : {ejabberd}), ...(release === undefined ? {} : {otp: release})};
}
