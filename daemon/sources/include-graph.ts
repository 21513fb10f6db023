import {basename, dirname, isAbsolute, join, normalize, posix} from 'node:path';
import {ReloaderError, describeValue} from '../errors.ts';
import type {Include} from './parse-includes.ts';

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
