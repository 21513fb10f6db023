import {readFileSync} from 'node:fs';

/** The package version, read once from package.json two levels above this file (source or build). */
export function readVersion(): string {
	for (const relative of ['../../package.json', '../../../package.json']) {
		try {
			const parsed = JSON.parse(readFileSync(new URL(relative, import.meta.url), 'utf8')) as {name?: string; version?: string};
			if (parsed.name === 'ejabberd-reloader' && parsed.version !== undefined) {
				return parsed.version;
			}
		} catch {
			// Try the next candidate.
		}
	}
	return 'unknown';
}
