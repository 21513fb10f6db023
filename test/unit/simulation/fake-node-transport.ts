import {ReloaderError} from '../../../daemon/errors.ts';
import type {CodeLocations, HeldProcess, InitReport, ModuleLocation, ModuleState, Transport, UpdateInfo, UpdateOutcome} from '../../../daemon/transports/transport.ts';
import type {FakeNode} from './fake-node.ts';
import type {SimClock} from './sim-clock.ts';

/** `content`: what dist can do (verify by content, see restarts and disconnects); `list`: what ctl and http can do. */
export type Flavor = 'content' | 'list';

export interface FakeTransportOptions {
	readonly flavor: Flavor;
	/** Chance that a call is slow (up to `slowMs`); the others take up to 5 ms. */
	readonly slowRate: number;
	readonly slowMs: number;
	/** Chance that a call times out (retryable) while the node does its work anyway, before or after the timeout, or never. */
	readonly timeoutRate: number;
}

const TIMEOUT_MS = 1000;

/**
 * A transport over the fake node, in simulated time. A call does its work on
 * the node either right away (then its answer travels back) or at the end;
 * if the node goes down or restarts meanwhile the call fails as unreachable,
 * though the work may already be done: the answer, not the deed, is lost.
 */
export class FakeNodeTransport implements Transport {
	readonly node = 'sim@localhost';
	readonly kind;
	readonly capabilities;
	readonly #fake: FakeNode;
	readonly #clock: SimClock;
	readonly #random: () => number;
	readonly #options: FakeTransportOptions;
	#seenIncarnation: number | undefined;
	calls = 0;

	constructor(fake: FakeNode, clock: SimClock, random: () => number, options: FakeTransportOptions) {
		this.#fake = fake;
		this.#clock = clock;
		this.#random = random;
		this.#options = options;
		const content = options.flavor === 'content';
		this.kind = content ? 'dist' as const : 'ctl' as const;
		this.capabilities = Object.freeze({verifyByContent: content, loadBeam: false, oldCodeHolders: content, incarnation: content, updateResult: content, codeDirectory: content, compileModule: false});
	}

	async ensureUpdaterLoaded(signal?: AbortSignal): Promise<InitReport> {
		return this.#call(() => {
			const wasLoaded = this.#fake.updaterLoaded;
			this.#fake.updaterLoaded = true;
			return {method: 'sim', wasLoaded};
		}, signal);
	}

	async updateInfo(signal?: AbortSignal): Promise<UpdateInfo> {
		return this.#call(() => {
			const modules = this.#fake.listed();
			return {modules, raw: `[${modules.join(',')}]`, ...(this.#options.flavor === 'content' ? {dir: this.#fake.dir} : {})};
		}, signal);
	}

	async update(modules: readonly string[], signal?: AbortSignal): Promise<UpdateOutcome> {
		return this.#call(() => {
			const error = this.#fake.update(modules);
			if (this.#options.flavor === 'list') {
				// ejabberdctl update prints nothing and exits 0, whatever happened (23.01).
				return {raw: ''};
			}
			return error === undefined ? {raw: '{ok,[]}', result: {kind: 'ok', unpurged: []}} : {raw: error, result: {kind: 'error', reason: error}};
		}, signal);
	}

	async moduleStates(modules: readonly ModuleLocation[], signal?: AbortSignal): Promise<ReadonlyMap<string, ModuleState>> {
		this.#require('verifyByContent');
		return this.#call(() => new Map(modules.map(({module}) => {
			const loaded = this.#fake.loaded.get(module);
			const diskMd5 = this.#fake.beamOnDisk(module)?.codeMd5;
			return [module, loaded === undefined ? {loaded: false, diskMd5} : {loaded: true, loadedMd5: loaded.codeMd5, diskMd5}];
		})), signal);
	}

	async codeDirectory(signal?: AbortSignal): Promise<string> {
		this.#require('codeDirectory');
		return this.#call(() => this.#fake.dir, signal);
	}

	async codeLocations(signal?: AbortSignal): Promise<CodeLocations> {
		this.#require('codeDirectory');
		return this.#call(() => ({ejabberd: this.#fake.dir, contrib: undefined, loaded: [this.#fake.dir]}), signal);
	}

	incarnation(): number | undefined {
		return this.capabilities.incarnation ? this.#seenIncarnation : undefined;
	}

	onDisconnect(listener: (reason: string) => void): void {
		if (this.capabilities.incarnation) {
			// The held connection drops when the node does; the listener hears it a moment later.
			this.#fake.onDown(() => this.#clock.setTimer(() => listener('connection closed'), 1));
		}
	}

	async loadBeam(): Promise<string | undefined> {
		this.#require('loadBeam');
		return undefined;
	}

	async oldCodeHolders(modules: readonly string[], signal?: AbortSignal): Promise<ReadonlyMap<string, readonly HeldProcess[]>> {
		this.#require('oldCodeHolders');
		const holders = await this.#call(() => this.#fake.oldCodeHolders(modules), signal);
		return new Map([...holders].map(([module, pids]) => [module, pids.map(pid => ({pid}))]));
	}

	/** The simulation compiles nothing: its beams are written as they are. */
	async compileModule(): Promise<never> {
		throw new ReloaderError('ERR_CONFIG_INVALID', `the simulated ${this.kind} transport cannot compileModule`);
	}

	async close(): Promise<void> {
		// Nothing is held.
	}

	#require(capability: 'verifyByContent' | 'codeDirectory' | 'loadBeam' | 'oldCodeHolders'): void {
		if (!this.capabilities[capability]) {
			throw new ReloaderError('ERR_CONFIG_INVALID', `the simulated ${this.kind} transport cannot ${capability}`);
		}
	}

	async #call<T>(work: () => T, signal?: AbortSignal): Promise<T> {
		this.calls++;
		signal?.throwIfAborted();
		if (!this.#fake.up) {
			throw unreachable();
		}
		const incarnation = this.#fake.incarnation;
		if (this.#random() < this.#options.timeoutRate) {
			const when = this.#random();
			if (when < 0.7) {
				// The node is slow, not gone: the work happens, maybe long after the caller gave up.
				this.#clock.setTimer(() => {
					if (this.#fake.up && this.#fake.incarnation === incarnation) {
						work();
					}
				}, Math.floor(when * 3 * TIMEOUT_MS));
			}
			await this.#clock.sleep(TIMEOUT_MS);
			throw new ReloaderError('ERR_NODE_TIMEOUT', `sim@localhost did not answer within ${TIMEOUT_MS} ms`, {retryable: true});
		}
		const early = this.#random() < 0.5;
		let result: T | undefined;
		if (early) {
			result = work();
		}
		const slow = this.#random() < this.#options.slowRate;
		await this.#clock.sleep(Math.floor(this.#random() * (slow ? this.#options.slowMs : 5)));
		if (!this.#fake.up || this.#fake.incarnation !== incarnation) {
			throw unreachable();
		}
		this.#seenIncarnation = incarnation;
		return early ? result as T : work();
	}
}

function unreachable(): ReloaderError {
	return new ReloaderError('ERR_NODE_DOWN', 'sim@localhost is unreachable', {retryable: true});
}
