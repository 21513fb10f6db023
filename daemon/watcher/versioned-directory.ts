import * as path from 'node:path';

/**
 * A watched directory inside a versioned install: `<root>/<app>-<version>/ebin`,
 * as Debian (`/usr/lib/x86_64-linux-gnu/ejabberd-23.01/ebin`) and source
 * builds (`/usr/local/lib/ejabberd-23.01/ebin`, and each dependency beside it)
 * lay it out. An upgrade installs the next version beside it, and the old one
 * may be removed, so the daemon would watch code that no longer runs.
 */
export interface VersionedDirectory {
	/** The watched directory, as given. */
	readonly directory: string;
	/** Where the `<app>-<version>` directories live. */
	readonly root: string;
	readonly app: string;
	readonly version: string;
}

/**
 * Erlang lib directories are named `<app>-<version>`. An application name is an
 * atom without `-`, so the first `-` ends it; a version starts with a digit.
 */
const APP_VERSION = /^(?<app>[A-Za-z][A-Za-z0-9_]*)-(?<version>\d[A-Za-z0-9_.+~-]*)$/;

/** The app and version of a `<app>-<version>` directory name, or undefined. */
export function parseAppVersion(name: string): {app: string; version: string} | undefined {
	const groups = APP_VERSION.exec(name)?.groups;
	return groups?.app === undefined || groups.version === undefined ? undefined : {app: groups.app, version: groups.version};
}

/** `/usr/lib/ejabberd-23.01/ebin` → its root, app and version; undefined for any other layout. */
export function parseVersionedDirectory(directory: string): VersionedDirectory | undefined {
	const normalized = stripTrailingSeparators(path.normalize(directory));
	if (path.basename(normalized) !== 'ebin') {
		return undefined;
	}
	const versioned = path.dirname(normalized);
	const parsed = parseAppVersion(path.basename(versioned));
	return parsed === undefined ? undefined : {directory, root: path.dirname(versioned), ...parsed};
}

/**
 * The ebin of `name` when `name` (an entry of `watched.root`) is another
 * version of the watched app; undefined for the watched version itself and for
 * anything else.
 */
export function siblingVersionOf(watched: VersionedDirectory, name: string): string | undefined {
	const parsed = parseAppVersion(name);
	if (parsed === undefined || parsed.app !== watched.app || parsed.version === watched.version) {
		return undefined;
	}
	return path.join(watched.root, name, 'ebin');
}

function stripTrailingSeparators(directory: string): string {
	let end = directory.length;
	while (end > 1 && directory[end - 1] === path.sep) {
		end--;
	}
	return directory.slice(0, end);
}
