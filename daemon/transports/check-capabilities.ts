import {basename} from 'node:path';
import type {ResolvedConfig} from '../config/schema.ts';
import {capabilitiesOf, type TransportCapabilities} from './capabilities.ts';
import type {PathMapping} from './path-map.ts';
import type {TransportKind} from './transport.ts';

/** The options whose effect depends on the transport, as a config holds them. */
export interface CapabilityOptions {
	readonly transport: TransportKind;
	readonly purge: 'brutal' | 'soft';
	readonly loadNew: boolean;
	readonly watch: 'auto' | readonly string[];
	/** The configured node name, if any. */
	readonly node?: string | undefined;
	/** mod_http_api's URL, for `http`. */
	readonly httpUrl?: string | undefined;
	/** The config's `paths`: any mapping says the node sees other directories than this host. */
	readonly paths?: readonly PathMapping[] | undefined;
	/** ejabberdctl's argv prefix (`ctl.command`), for `ctl`. */
	readonly ctlCommand?: readonly string[] | undefined;
	/** Whether `cluster` is set: every member is asked for MD5s and the membership. */
	readonly clustered?: boolean;
	/** `compile.compiler`: `node` compiles with the node's compile:file. */
	readonly compiler?: 'auto' | 'erlc' | 'node';
}

export interface CapabilityProblem {
	/** The option's key path, e.g. `purge`. */
	readonly path: string;
	readonly value: unknown;
	/** What the option needs and why this transport cannot give it, e.g. `purge: soft needs the dist transport (transport: ctl cannot see ...)`. */
	readonly reason: string;
	/** What to change. */
	readonly remedy: string;
	/** reason, then remedy: the whole sentence. */
	readonly message: string;
}

const TO_DIST = 'set transport: dist with a readable cookieFile';

/** The node a local ejabberd install runs by default: the one whose ebin `watch: auto` falls back to. */
const LOCAL_DEFAULT_NODE = 'ejabberd@localhost';

/** The options of a config whose effect depends on the transport, read from the config in this one place. */
export function capabilityOptionsOf(config: ResolvedConfig, transport: TransportKind): CapabilityOptions {
	return {
		transport,
		purge: config.purge,
		loadNew: config.loadNew,
		watch: config.watch,
		node: config.node,
		httpUrl: config.http.url,
		paths: config.paths,
		ctlCommand: config.ctl.command,
		clustered: config.cluster !== undefined,
		compiler: config.compile.compiler,
	};
}

/** A configuration over one transport: what that transport can do, and every option of the configuration it cannot honour. */
export interface TransportFit {
	readonly transport: TransportKind;
	readonly capabilities: TransportCapabilities;
	readonly problems: readonly CapabilityProblem[];
}

/** Each configuration's fit per transport kind, keyed by the (frozen) configuration itself. */
const fits = new WeakMap<ResolvedConfig, Map<TransportKind, TransportFit>>();

/**
 * How a configuration fits a transport kind, worked out once per
 * configuration and kind and then shared: resolveConfig refuses an explicit
 * transport that cannot honour an option, `transport: auto` warns about what
 * its fallback to ctl lost, `watch: auto` refuses a guess it cannot make, and
 * the reload plan (one node or every cluster member) drops what has no
 * effect. All of them read this same value, so they cannot disagree.
 */
export function transportFit(config: ResolvedConfig, transport: TransportKind): TransportFit {
	let byKind = fits.get(config);
	if (byKind === undefined) {
		byKind = new Map();
		fits.set(config, byKind);
	}
	let fit = byKind.get(transport);
	if (fit === undefined) {
		const capabilities = capabilitiesOf(transport);
		fit = Object.freeze({transport, capabilities, problems: Object.freeze(capabilityProblems(capabilityOptionsOf(config, transport), capabilities))});
		byKind.set(transport, fit);
	}
	return fit;
}

/**
 * Every option the transport cannot honour, each with what to change. Pure:
 * the rules behind transportFit, which every user of them goes through.
 */
export function capabilityProblems(options: CapabilityOptions, capabilities: TransportCapabilities): CapabilityProblem[] {
	const {transport} = options;
	const problems: CapabilityProblem[] = [];
	const add = (path: string, value: unknown, reason: string, remedy: string): void => {
		problems.push({path, value, reason, remedy, message: `${reason}: ${remedy}`});
	};
	if (options.purge === 'soft' && !capabilities.oldCodeHolders) {
		add('purge', 'soft', `purge: soft needs the dist transport (transport: ${transport} cannot see which processes run old code)`, `${TO_DIST}, or remove purge: soft`);
	}
	if (options.loadNew) {
		const cannot = [
			...(capabilities.verifyByContent ? [] : ['tell a module the node never loaded from an unchanged one']),
			...(capabilities.loadBeam ? [] : ['load a beam directly']),
		];
		if (cannot.length > 0) {
			add('loadNew', true, `loadNew: true needs the dist transport (transport: ${transport} cannot ${cannot.join(', nor ')})`, `${TO_DIST}, or remove loadNew: true`);
		}
	}
	if (options.clustered === true && !(capabilities.verifyByContent && capabilities.codeDirectory)) {
		add('cluster', 'set', `cluster needs the dist transport (transport: ${transport} cannot ask each member for the MD5 of its disk and its loaded code, nor for the cluster's members)`, `${TO_DIST}, or remove cluster to reload the one node`);
	}
	if (options.compiler === 'node' && !capabilities.compileModule) {
		add('compile.compiler', 'node', `compile.compiler: node needs the dist transport (transport: ${transport} cannot call the node's compile:file)`, `${TO_DIST}, or set compile.compiler: erlc (or auto) to compile with this host's erlc`);
	}
	if (options.watch === 'auto' && !capabilities.codeDirectory) {
		const uncertain = uncertainEbin(options);
		if (uncertain !== undefined) {
			add('watch', 'auto', `watch: auto ${uncertain.needs} (transport: ${transport} cannot ask the node where its code is, and ${uncertain.why})`, `${TO_DIST}, or list in watch the node's ebin as this host sees it${uncertain.example}`);
		}
	}
	return problems;
}

/**
 * Without asking the node, `watch: auto` can only mean the installed
 * ejabberd's ebin of this host. That is certain only for the local default
 * node run by the plain ejabberdctl (or reached on loopback), seeing this
 * host's paths; anything else may be another install (a container, a chroot,
 * another machine), whose ebin this host's install says nothing about.
 */
function uncertainEbin(options: CapabilityOptions): {needs: string; why: string; example: string} | undefined {
	const remote = remoteNode(options);
	if (remote !== undefined) {
		return {needs: `needs the dist transport to find the code directory of ${remote}`, why: `${remote} need not load the installed ejabberd's ebin`, example: ''};
	}
	const mapped = options.paths ?? [];
	if (mapped.length > 0) {
		const first = mapped[0];
		return {
			needs: 'cannot locate the node\'s ebin with certainty',
			why: `paths maps ${mapped.length === 1 ? 'a directory' : `${mapped.length} directories`} to other paths on the node, so the node runs in a container or a chroot and this host's ejabberd install is not its own`,
			example: first === undefined ? '' : ` (e.g. watch: [${first.local}] if that is where paths puts its ebin)`,
		};
	}
	const command = options.ctlCommand;
	if (options.transport === 'ctl' && command !== undefined && !isPlainEjabberdctl(command)) {
		return {
			needs: 'cannot locate the node\'s ebin with certainty',
			why: `ctl.command ${JSON.stringify(command)} is not the plain ejabberdctl: it may run a node of another install (a chroot, a container, another config dir), whose ebin need not be this host's installed one`,
			example: '',
		};
	}
	return undefined;
}

/** `ejabberdctl` or `/usr/sbin/ejabberdctl` alone: the installed ejabberd's own node. */
function isPlainEjabberdctl(command: readonly string[]): boolean {
	return command.length === 1 && basename(command[0] ?? '') === 'ejabberdctl';
}

/** Names the node when it is not the local default one. */
function remoteNode(options: CapabilityOptions): string | undefined {
	if (options.node !== undefined && options.node !== LOCAL_DEFAULT_NODE) {
		return options.node;
	}
	if (options.transport === 'http' && options.node === undefined && options.httpUrl !== undefined && !isLoopbackUrl(options.httpUrl)) {
		return `the node behind ${options.httpUrl}`;
	}
	return undefined;
}

function isLoopbackUrl(url: string): boolean {
	let host: string;
	try {
		host = new URL(url).hostname;
	} catch {
		// An invalid URL is the http transport's own problem to report.
		return true;
	}
	return host === 'localhost' || host === '[::1]' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * The one warning for `transport: auto` falling back to ctl: the choice, why,
 * and every option that lost its effect (when none did, what is lost anyway:
 * verification by content).
 */
export function describeAutoFallback(fit: TransportFit, why: string): string {
	const lost = fit.problems;
	const choice = `transport: auto chose ctl because ${why}`;
	if (lost.length === 0) {
		return `${choice}; batches are verified by a second update_list instead of by content. Set cookieFile to the node's cookie to use dist.`;
	}
	return `${choice}, so these options have no effect: ${lost.map(problem => problem.reason).join('; ')}. Set cookieFile to the node's cookie to use dist, or set transport: ctl and remove them.`;
}
