import {readFile} from 'node:fs/promises';
import {ReloaderError, describeValue} from '../errors.ts';

export interface SandboxTemplates {
	readonly ejabberdYml: string;
	readonly ejabberdctlCfg: string;
}

export interface EjabberdYmlValues {
	readonly c2sPort: number;
	readonly httpPort: number;
	/** Modules enabled in the `modules:` section, each with its default options. Default: none. */
	readonly modules?: readonly string[];
}

export interface EjabberdctlCfgValues {
	/** The part before the `@`. */
	readonly nodeName: string;
	/** The part after it: `localhost` (short names, `-sname`) or `127.0.0.1` (long names, `-name`). Default: localhost. */
	readonly nodeHost?: NodeHost;
	/** Absolute path of the rendered ejabberd.yml. */
	readonly configPath: string;
	/** Absolute path of the private ebin, put first on the code path. */
	readonly ebinDir: string;
	/** Absolute path of the private contrib modules dir (`CONTRIB_MODULES_PATH`), where `module_install` writes. */
	readonly contribDir: string;
	/**
	 * Absolute paths of the library aliases (`<deps>/xmpp`, linked to Debian's
	 * `p1_xmpp-1.6.1`): each one's ebin goes last on the code path (`-pz`), so
	 * that `code:lib_dir(xmpp)` names it. Default: none.
	 */
	readonly libraryAliasDirs?: readonly string[];
	/** Extra `erl` arguments appended to ERL_OPTIONS (the node's and ejabberdctl's control node's), each matching ERL_OPTION_PATTERN. Default: none. */
	readonly erlOptions?: readonly string[];
}

export const NODE_NAME_PATTERN = /^[a-z][a-z0-9_]*$/;
/** The host parts a sandbox node may have; ejabberdctl picks `-name` for one with a dot. */
export const NODE_HOSTS = ['localhost', '127.0.0.1'] as const;
export type NodeHost = typeof NODE_HOSTS[number];
/** An Erlang module name ejabberd's config takes as a plain YAML key: an unquoted atom. */
export const MODULE_NAME_PATTERN = /^[a-z][a-zA-Z0-9_]{0,254}$/;
// ejabberdctl sources the cfg as shell and splits ERL_OPTIONS on spaces
// without quoting: a path outside this set would be mangled or executed.
const SAFE_PATH_PATTERN = /^\/[A-Za-z0-9._/-]+$/;
/**
 * One word of ERL_OPTIONS: inside the cfg's double quotes, and split on
 * spaces by ejabberdctl, so no space, quote, `$`, backquote or backslash;
 * Erlang terms such as `{127,0,0,1}` are fine.
 */
export const ERL_OPTION_PATTERN = /^[A-Za-z0-9._/,:=@+{}[\]-]+$/;

export function renderEjabberdYml(template: string, values: EjabberdYmlValues): string {
	const problems = [checkPort('c2sPort', values.c2sPort), checkPort('httpPort', values.httpPort)];
	if (values.c2sPort === values.httpPort) {
		problems.push(`c2sPort and httpPort must differ, both are ${values.c2sPort}`);
	}
	problems.push(...moduleNameProblems(values.modules ?? []));
	throwProblems('ejabberd.yml', problems);
	return renderTemplate(template, {c2sPort: String(values.c2sPort), httpPort: String(values.httpPort), modules: renderModules(values.modules ?? [])});
}

/** One problem per name that is not a module name (so not safe as a YAML key and an atom either). */
export function moduleNameProblems(names: readonly unknown[]): string[] {
	return names.flatMap(name => typeof name === 'string' && MODULE_NAME_PATTERN.test(name) ? [] : [`module name must match ${String(MODULE_NAME_PATTERN)} (e.g. mod_echo), got ${describeValue(name)}`]);
}

// The template reads `modules:{{modules}}`: an empty map, or one module per
// line with its defaults. A name given twice is enabled once.
function renderModules(modules: readonly string[]): string {
	return modules.length === 0 ? ' {}' : [...new Set(modules)].map(module => `\n  ${module}: {}`).join('');
}

export function renderEjabberdctlCfg(template: string, values: EjabberdctlCfgValues): string {
	throwProblems('ejabberdctl.cfg', [
		NODE_NAME_PATTERN.test(values.nodeName) ? undefined : `nodeName must match ${String(NODE_NAME_PATTERN)}, got ${describeValue(values.nodeName)}`,
		NODE_HOSTS.includes(values.nodeHost ?? 'localhost') ? undefined : `nodeHost must be one of ${NODE_HOSTS.join(', ')}, got ${describeValue(values.nodeHost)}`,
		checkPath('configPath', values.configPath),
		checkPath('ebinDir', values.ebinDir),
		checkPath('contribDir', values.contribDir),
		...(values.libraryAliasDirs ?? []).map((dir, index) => checkPath(`libraryAliasDirs[${index}]`, dir)),
		...erlOptionProblems(values.erlOptions ?? []),
	]);
	const erlOptions = (values.erlOptions ?? []).map(option => ` ${option}`).join('');
	return renderTemplate(template, {
		nodeName: values.nodeName, nodeHost: values.nodeHost ?? 'localhost', configPath: values.configPath, ebinDir: values.ebinDir, contribDir: values.contribDir,
		libraryPaths: renderLibraryPaths(values.libraryAliasDirs ?? []), erlOptions,
	});
}

// Last on the code path, behind every directory Erlang found by itself: a
// module is still loaded from the file it was loaded from before, while a
// name the node lacked (`xmpp` on Debian 12) now has a lib dir. Where the
// node has the name already (Debian 13's own `xmpp-1.9.4`), the first entry
// on the path keeps it.
function renderLibraryPaths(dirs: readonly string[]): string {
	return dirs.map(dir => ` -pz ${dir}/ebin`).join('');
}

/** One problem per word that ejabberdctl could not pass to erl unharmed. */
export function erlOptionProblems(options: readonly unknown[]): string[] {
	return options.flatMap(option => typeof option === 'string' && ERL_OPTION_PATTERN.test(option) ? [] : [`each erlOptions word must match ${String(ERL_OPTION_PATTERN)} (one word per entry, e.g. "-proto_dist", "inet_tls"), got ${describeValue(option)}`]);
}

/** The files of a sandbox node's config dir, by name: what ejabberdctl --config-dir expects. */
export function renderSandboxConfigs(templates: SandboxTemplates, values: EjabberdYmlValues & Omit<EjabberdctlCfgValues, 'configPath'> & {readonly configDir: string}): Record<string, string> {
	return {
		'ejabberd.yml': renderEjabberdYml(templates.ejabberdYml, values),
		'ejabberdctl.cfg': renderEjabberdctlCfg(templates.ejabberdctlCfg, {...values, configPath: `${values.configDir}/ejabberd.yml`}),
		// ejabberdctl points ERL_INETRC here; empty means Erlang's defaults.
		inetrc: '',
	};
}

/** Every problem with a sandbox node's resolved options, for one error that lists them all. */
export function sandboxOptionProblems(options: {readonly name: unknown; readonly baseDir: string; readonly startTimeoutMs: unknown; readonly modules?: readonly unknown[]; readonly root?: string | undefined; readonly erlOptions?: readonly unknown[] | undefined}): string[] {
	const {name, baseDir, startTimeoutMs, modules = [], root, erlOptions = []} = options;
	return [
		typeof name === 'string' && NODE_NAME_PATTERN.test(name) ? undefined : `name must match ${String(NODE_NAME_PATTERN)}, got ${describeValue(name)}`,
		checkPath('baseDir', baseDir),
		root === undefined ? undefined : checkPath('root', root),
		root === undefined || baseDir.startsWith(`${root}/`) ? undefined : `baseDir must lie inside root ${root} (the node sees only that), got ${describeValue(baseDir)}`,
		typeof startTimeoutMs === 'number' && Number.isFinite(startTimeoutMs) && startTimeoutMs > 0 ? undefined : `startTimeoutMs must be a positive number, got ${describeValue(startTimeoutMs)}`,
		...moduleNameProblems(modules),
		...erlOptionProblems(erlOptions),
	].filter(problem => problem !== undefined);
}

/** Whether ejabberdctl can take `path` as a config, spool, log or code path unharmed. */
export function isSafeSandboxPath(path: string): boolean {
	return SAFE_PATH_PATTERN.test(path);
}

/** Replace every `{{key}}`; a placeholder without a value is a bug in the template, not a blank. */
export function renderTemplate(template: string, values: Readonly<Record<string, string>>): string {
	return template.replace(/\{\{(\w+)\}\}/g, (placeholder, key: string) => {
		const value = values[key];
		if (value === undefined) {
			throw new ReloaderError('ERR_SANDBOX', `Template placeholder ${placeholder} has no value; known keys: ${Object.keys(values).join(', ')}`);
		}
		return value;
	});
}

/**
 * Read the templates shipped in `fixtures/ejabberd/`. They sit two levels above
 * this file in the source tree and three above it in `build/`.
 */
export async function loadSandboxTemplates(): Promise<SandboxTemplates> {
	const candidates = ['../../fixtures/ejabberd/', '../../../fixtures/ejabberd/'].map(relative => new URL(relative, import.meta.url));
	for (const dir of candidates) {
		try {
			const [ejabberdYml, ejabberdctlCfg] = await Promise.all([
				readFile(new URL('ejabberd.yml.template', dir), 'utf8'),
				readFile(new URL('ejabberdctl.cfg.template', dir), 'utf8'),
			]);
			return {ejabberdYml, ejabberdctlCfg};
		} catch {
			// Try the next layout.
		}
	}
	throw new ReloaderError('ERR_SANDBOX', `The sandbox config templates are missing: looked in ${candidates.map(url => url.pathname).join(' and ')}`, {
		hint: 'Reinstall the package; fixtures/ejabberd/ must ship next to build/.',
	});
}

function checkPort(key: string, port: number): string | undefined {
	return Number.isInteger(port) && port > 0 && port < 65_536 ? undefined : `${key} must be an integer from 1 to 65535, got ${describeValue(port)}`;
}

function checkPath(key: string, path: string): string | undefined {
	return isSafeSandboxPath(path) ? undefined : `${key} must be an absolute path of letters, digits and . _ / -, got ${describeValue(path)}`;
}

function throwProblems(file: string, problems: ReadonlyArray<string | undefined>): void {
	const found = problems.filter(problem => problem !== undefined);
	if (found.length > 0) {
		throw new ReloaderError('ERR_SANDBOX', `Cannot render the sandbox's ${file}:\n${found.map(problem => `  - ${problem}`).join('\n')}`);
	}
}
