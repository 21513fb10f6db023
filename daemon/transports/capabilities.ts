import type {TransportKind} from './transport.ts';

/**
 * What a transport can do, declared once per transport as a frozen value.
 * Every Transport method exists on every transport; a flag that is false says
 * the methods it names cannot work there (they throw, or report nothing). The
 * reloader picks its plan from these flags, and startup refuses options a
 * transport cannot honour (see check-capabilities.ts), so no option is
 * silently ignored.
 */
export interface TransportCapabilities {
	/**
	 * `moduleStates()` asks the node what it runs (loaded or not, the MD5 of the
	 * loaded code and of the beam file): a batch is verified by content, and a
	 * module the node never loaded is told apart from an unchanged one.
	 * Without it, verification asks update_info a second time.
	 */
	readonly verifyByContent: boolean;
	/**
	 * `loadBeam()` loads one beam directly (soft or brutal purge first): for
	 * `loadNew` and for beams outside the one directory update_info scans.
	 */
	readonly loadBeam: boolean;
	/** `oldCodeHolders()` lists the processes still running old code: what `purge: soft` holds back for, and what brutal purge kills. */
	readonly oldCodeHolders: boolean;
	/**
	 * `incarnation()` gives the node's creation, which changes when it restarts,
	 * and `onDisconnect()` fires when the held connection drops. Without it the
	 * init step re-runs only after a failed call.
	 */
	readonly incarnation: boolean;
	/** `update()` returns what `ejabberd_update:update/1` returned (`result`): unpurged modules, errors, an on_load that failed. */
	readonly updateResult: boolean;
	/** `codeDirectory()` asks the node which directory update_info scans, for `watch: auto`. */
	readonly codeDirectory: boolean;
	/** `compileModule()` compiles a module with the node's own compiler, OTP and include paths: `compile.compiler: node`. */
	readonly compileModule: boolean;
}

/** Erlang distribution: the node's own answers, so everything. */
export const DIST_CAPABILITIES: TransportCapabilities = Object.freeze({
	verifyByContent: true,
	loadBeam: true,
	oldCodeHolders: true,
	incarnation: true,
	updateResult: true,
	codeDirectory: true,
	compileModule: true,
});

/** ejabberdctl: update_list and update only, and update prints nothing useful on 23.01. */
export const CTL_CAPABILITIES: TransportCapabilities = Object.freeze({
	verifyByContent: false,
	loadBeam: false,
	oldCodeHolders: false,
	incarnation: false,
	updateResult: false,
	codeDirectory: false,
	compileModule: false,
});

/** mod_http_api: the same two commands as ejabberdctl. */
export const HTTP_CAPABILITIES: TransportCapabilities = Object.freeze({
	verifyByContent: false,
	loadBeam: false,
	oldCodeHolders: false,
	incarnation: false,
	updateResult: false,
	codeDirectory: false,
	compileModule: false,
});

const BY_KIND: Readonly<Record<TransportKind, TransportCapabilities>> = Object.freeze({
	dist: DIST_CAPABILITIES,
	ctl: CTL_CAPABILITIES,
	http: HTTP_CAPABILITIES,
});

/** The capabilities of a transport kind, known before the transport is built (for checking a config). */
export function capabilitiesOf(kind: TransportKind): TransportCapabilities {
	return BY_KIND[kind];
}
