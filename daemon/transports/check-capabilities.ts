import type {TransportCapabilities} from './capabilities.ts';
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

/**
 * Every option the transport cannot honour, each with what to change. Pure:
 * the same rules refuse a config at start (exit 2, with the other config
 * problems), list what `transport: auto` lost when it fell back to ctl, and
 * guard the reloader's plan.
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
	if (options.watch === 'auto' && !capabilities.codeDirectory) {
		const remote = remoteNode(options);
		if (remote !== undefined) {
			add('watch', 'auto', `watch: auto needs the dist transport to find the code directory of ${remote} (transport: ${transport} cannot ask the node where its code is, and ${remote} need not load the installed ejabberd's ebin)`, `${TO_DIST}, or list the directories to watch in watch`);
		}
	}
	return problems;
}

/**
 * Without asking the node, `watch: auto` can only mean the installed
 * ejabberd's ebin: right for the local default node, a guess for any other.
 * Names the node when it is another one.
 */
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
export function describeAutoFallback(options: Omit<CapabilityOptions, 'transport'>, capabilities: TransportCapabilities, why: string): string {
	const lost = capabilityProblems({...options, transport: 'ctl'}, capabilities);
	const choice = `transport: auto chose ctl because ${why}`;
	if (lost.length === 0) {
		return `${choice}; batches are verified by a second update_list instead of by content. Set cookieFile to the node's cookie to use dist.`;
	}
	return `${choice}, so these options have no effect: ${lost.map(problem => problem.reason).join('; ')}. Set cookieFile to the node's cookie to use dist, or set transport: ctl and remove them.`;
}
