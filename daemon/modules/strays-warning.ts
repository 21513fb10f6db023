import {quoteUntrusted} from '../errors.ts';
import type {DaemonRecord} from '../records.ts';
import type {BeamIndex} from './beam-index.ts';

/** Strays named in the start warning; the rest are counted. */
const MAX_STRAYS_SHOWN = 20;

/**
 * Entries named `*.beam` that the initial scan left out of the index: one
 * warning at start. Asked for by name they are unknown (404), but
 * ejabberd_update's own scan still makes an atom of each name.
 */
export function straysWarning(index: BeamIndex): DaemonRecord | undefined {
	const strays = index.strays();
	if (strays.length === 0) {
		return undefined;
	}
	const shown = strays.slice(0, MAX_STRAYS_SHOWN).map(({path, what}) => `${quoteUntrusted(path, 300)} (${what})`).join(', ');
	const more = strays.length > MAX_STRAYS_SHOWN ? ` and ${strays.length - MAX_STRAYS_SHOWN} more` : '';
	const one = strays.length === 1;
	return {
		event: 'error',
		severity: 'warn',
		code: 'WARN_NOT_BEAMS',
		message: `${strays.length} ${one ? 'entry' : 'entries'} named *.beam in the watched directories ${one ? 'is' : 'are'} not a complete beam of the module ${one ? 'its' : 'their'} name says, and left out of the index (asked for over the API: 404): ${shown}${more}. ejabberd_update's scan turns every *.beam file name into an atom on the node, and atoms are never freed`,
		hint: 'Remove them from the ebin directory; only beams erlc wrote belong there.',
	};
}
