import {ReloaderError, errorMessage} from './errors.ts';
import type {BatchRecord, KilledRecord} from './reloader/batch-record.ts';
import type {CompileRecord} from './sources/compile-record.ts';
import type {NodeVersions, TransportKind} from './transports/transport.ts';

/**
 * Every event the daemon reports, as one flat record: the same object becomes a
 * log line and (later) an SSE event or an HTTP answer.
 */
export type DaemonRecord = StartRecord | InitRecord | WatchRecord | ApiRecord | BatchRecord | KilledRecord | NodeRecord | ProblemRecord | StopRecord | DirectoryRecord | SiblingRecord | ReconfigureRecord | SyncRecord | CompileRecord;

export interface StartRecord {
	readonly event: 'start';
	readonly version: string;
	readonly node: string;
	readonly transport: TransportKind;
	readonly debounceMs: number;
	readonly maxWaitMs: number;
}

/** `ejabberd_update` made sure of on the node: after start and after every reconnect. */
export interface InitRecord {
	readonly event: 'init';
	readonly node: string;
	readonly transport: TransportKind;
	readonly method: string;
	readonly wasLoaded: boolean | undefined;
	/**
	 * The node's ejabberd version (`dist`: application:get_key(ejabberd, vsn);
	 * `ctl`, `http`: what `status` prints) and OTP release (`dist` only); a
	 * field is absent when the transport cannot tell.
	 */
	readonly versions: NodeVersions;
	/** Modules whose beam differs from the loaded code right now (update_info). */
	readonly pending: readonly string[];
	readonly durationMs: number;
}

export interface WatchRecord {
	readonly event: 'watch';
	readonly directories: readonly string[];
	readonly beams: number;
	/** Source directories whose saves are compiled into them (save to live); absent without `sources`. */
	readonly sources?: readonly string[];
}

/** The daemon's HTTP API is listening. */
export interface ApiRecord {
	readonly event: 'api';
	/** `host:port` actually bound. */
	readonly listen: string;
	readonly url: string;
	/** Whether requests need `Authorization: Bearer <token>` (never the token itself). */
	readonly tokenRequired: boolean;
}

/** A watched directory vanished (a reinstall under way) or is back and watched again. */
export interface DirectoryRecord {
	readonly event: 'directory';
	readonly directory: string;
	readonly state: 'gone' | 'back';
}

/** A newer versioned install directory appeared beside a watched one (`ejabberd-<newer>/ebin`). */
export interface SiblingRecord {
	readonly event: 'sibling';
	readonly directory: string;
	readonly sibling: string;
}

/** A node became unreachable or reachable again; a cluster member joined or left the membership. */
export interface NodeRecord {
	readonly event: 'node';
	readonly node: string;
	readonly state: 'down' | 'up' | 'joined' | 'left';
	readonly reason?: string;
	readonly retryInMs?: number;
}

/**
 * A cluster batch waits for a member's disk to hold the beams the daemon saw
 * (`waiting`, once per member and disk state), or gave up on it past
 * cluster.syncTimeoutMs (`lagging`).
 */
export interface SyncRecord {
	readonly event: 'sync';
	readonly batch: number;
	readonly node: string;
	readonly state: 'waiting' | 'lagging';
	/** Each module whose beam on the member's disk is not the daemon's: the code MD5 there (null: none readable), and the daemon's. */
	readonly modules: readonly {readonly module: string; readonly disk: string | null; readonly expected: string}[];
	readonly waitedMs: number;
	readonly syncTimeoutMs: number;
}

export interface ProblemRecord {
	readonly event: 'error';
	readonly code: string;
	readonly message: string;
	readonly hint?: string | undefined;
	readonly module?: string | undefined;
	readonly path?: string | undefined;
	/** A warning was reported and the daemon goes on; an error stops the operation it names. */
	readonly severity: 'warn' | 'error';
}

/**
 * A reconfiguration (SIGHUP): a new configuration was put to work, or
 * refused with every reason; a refused one leaves the running pipeline
 * exactly as it was. ("Reload" is the word for loading code: batches.)
 */
export type ReconfigureRecord =
	| {
		readonly event: 'reconfigure';
		readonly outcome: 'applied';
		readonly node: string;
		readonly transport: TransportKind;
		readonly directories: readonly string[];
		readonly debounceMs: number;
		readonly maxWaitMs: number;
	}
	| {
		readonly event: 'reconfigure';
		readonly outcome: 'refused';
		/** Each problem's message, as also logged one by one at error level with its hint. */
		readonly reasons: readonly string[];
	};

export interface StopRecord {
	readonly event: 'stop';
	readonly reason: string;
}

/** A caught error as a problem record: its stable code and hint when it has them, and the beam it concerns if any. */
export function problemRecord(error: unknown, severity: 'warn' | 'error', context?: string, where?: {readonly module: string | undefined; readonly path: string}): ProblemRecord {
	const message = errorMessage(error);
	return {
		event: 'error',
		severity,
		code: error instanceof ReloaderError ? error.code : 'ERR_UNEXPECTED',
		message: context === undefined ? message : `${context}: ${message}`,
		hint: error instanceof ReloaderError ? error.hint : undefined,
		...(where === undefined ? {} : {module: where.module, path: where.path}),
	};
}
