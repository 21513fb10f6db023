import {performance} from 'node:perf_hooks';
import type {InitRecord} from '../records.ts';
import type {StaleModule} from '../modules/stale-modules.ts';
import type {Transport, UpdateInfo} from '../transports/transport.ts';

/**
 * The daemon's view of the node: whether `ejabberd_update` has been made sure
 * of since the last (re)connect. ejabberd does not load that module at start
 * (still true on 23.01), so the init step runs before the first batch and again
 * after every outage, and is reported as its own record.
 */
export class NodeSession {
	readonly #transport: Transport;
	readonly #onInit: (record: InitRecord, stale: readonly StaleModule[]) => void;
	readonly #findStale: FindStale | undefined;
	#initialised = false;
	/** The incarnation the init step ran against, when the transport can tell. */
	#incarnation: number | undefined;

	/**
	 * `findStale`: the modules of the watched directories beyond update_info's
	 * that the node runs stale code of (changed while nobody watched); they are
	 * listed in the init record's `pending` and handed to `onInit` to be loaded.
	 */
	constructor(transport: Transport, onInit: (record: InitRecord, stale: readonly StaleModule[]) => void, findStale?: FindStale) {
		this.#transport = transport;
		this.#onInit = onInit;
		this.#findStale = findStale;
	}

	get initialised(): boolean {
		return this.#initialised;
	}

	/**
	 * Run the init step unless it already ran against this incarnation of the
	 * node. A restarted node is noticed by its new incarnation even when no
	 * disconnect was seen (the connection was re-made inside a call).
	 */
	async ready(signal?: AbortSignal): Promise<void> {
		if (this.#initialised && this.#transport.incarnation() === this.#incarnation) {
			return;
		}
		const start = performance.now();
		const report = await this.#transport.ensureUpdaterLoaded(signal);
		const info = await this.#transport.updateInfo(signal);
		const stale = (await this.#findStale?.(info, signal)) ?? [];
		this.#initialised = true;
		this.#incarnation = this.#transport.incarnation();
		this.#onInit({
			event: 'init',
			node: this.#transport.node,
			transport: this.#transport.kind,
			method: report.method,
			wasLoaded: report.wasLoaded,
			versions: report.versions ?? {},
			pending: [...info.modules, ...stale.map(({module}) => module)],
			durationMs: Math.round(performance.now() - start),
		}, stale);
	}

	/** The node was found unreachable: the next call re-runs the init step. */
	markDown(): void {
		this.#initialised = false;
	}
}

/** Finds the stale modules beyond update_info's directory, given its answer (see findStaleModules). */
export type FindStale = (info: UpdateInfo, signal?: AbortSignal) => Promise<readonly StaleModule[]>;
