import {checkBeamHeader} from '../../../daemon/beam/beam-header.ts';
import {judgeBeamContent, type BeamSnapshot} from '../../../daemon/beam/beam-snapshot.ts';
import type {FakeDisk} from './fake-disk.ts';

/** What the node runs of a module. */
export interface LoadedCode {
	readonly codeMd5: string;
	readonly vsn: string | undefined;
}

/**
 * ejabberd as ejabberd_update sees it, over the fake disk: the node reads beam
 * files itself, at the moment update_info or update runs, and never loads one
 * that is not a whole beam. It can be down (every call fails), or restart (a
 * new incarnation with nothing loaded, as the soak's halted node comes back).
 */
export class FakeNode {
	readonly #disk: FakeDisk;
	readonly #dir: string;
	up = true;
	incarnation = 1;
	updaterLoaded = false;
	readonly loaded = new Map<string, LoadedCode>();
	/** Modules whose code a daemon call (update) changed since the last mark: what a batch record may call updated. */
	readonly changedByDaemon = new Set<string>();
	readonly #downListeners = new Set<() => void>();
	/** Until when processes still run a module's old code, after an update (what soft purge waits for). */
	readonly #oldCodeUntil = new Map<string, number>();

	/** Answer update/1 as if it worked but load nothing: a broken node, to show the simulation's checks catch a lost change. */
	readonly ignoresUpdates: boolean;

	readonly #now: () => number;
	readonly #random: () => number;

	constructor(disk: FakeDisk, dir: string, now: () => number, random: () => number, options: {ignoresUpdates?: boolean} = {}) {
		this.#disk = disk;
		this.#dir = dir;
		this.#now = now;
		this.#random = random;
		this.ignoresUpdates = options.ignoresUpdates ?? false;
	}

	get dir(): string {
		return this.#dir;
	}

	pathOf(module: string): string {
		return `${this.#dir}/${module}.beam`;
	}

	/** The whole beam at the module's path now, as the node would read it; undefined if it is not one. */
	beamOnDisk(module: string): BeamSnapshot | undefined {
		const file = this.#disk.get(this.pathOf(module));
		if (file === undefined) {
			return undefined;
		}
		return wholeBeam(this.pathOf(module), module, file.bytes);
	}

	/** update_info: loaded modules whose beam on disk has another vsn (a beam it cannot read is not listed). */
	listed(): string[] {
		return [...this.loaded].filter(([module, code]) => {
			const beam = this.beamOnDisk(module);
			return beam !== undefined && beam.vsn !== code.vsn;
		}).map(([module]) => module).sort();
	}

	/**
	 * update/1: the listed ones among `modules` are read and loaded; if one of
	 * them cannot be read whole, release_handler's script fails and nothing is loaded.
	 */
	update(modules: readonly string[]): string | undefined {
		const listed = new Set(this.listed());
		const targets = modules.filter(module => listed.has(module)).map(module => [module, this.beamOnDisk(module)] as const);
		const unreadable = targets.find(([, beam]) => beam === undefined);
		if (unreadable !== undefined) {
			return `{error,{bad_object_code,${unreadable[0]}}}`;
		}
		for (const [module, beam] of targets) {
			if (beam !== undefined && !this.ignoresUpdates) {
				this.#load(module, beam, true);
			}
		}
		return undefined;
	}

	/** What the user's first call does after a restart: load every module whose beam is whole now. */
	loadFromDisk(modules: readonly string[]): void {
		for (const module of modules) {
			const beam = this.beamOnDisk(module);
			if (beam !== undefined && !this.loaded.has(module)) {
				this.#load(module, beam, false);
			}
		}
	}

	/** The modules among these whose old code some process still runs. */
	oldCodeHolders(modules: readonly string[]): Map<string, string[]> {
		return new Map(modules.filter(module => (this.#oldCodeUntil.get(module) ?? 0) > this.#now()).map(module => [module, ['<0.100.0>']]));
	}

	goDown(): void {
		this.up = false;
		for (const listener of this.#downListeners) {
			listener();
		}
	}

	/** Back up; `restart`: a new incarnation that has loaded nothing, not even ejabberd_update. */
	comeUp(restart: boolean): void {
		if (restart) {
			this.incarnation++;
			this.loaded.clear();
			this.#oldCodeUntil.clear();
			this.updaterLoaded = false;
		}
		this.up = true;
	}

	onDown(listener: () => void): void {
		this.#downListeners.add(listener);
	}

	/** Told of every load the daemon makes (update/1), before it happens. */
	onLoadByDaemon: ((module: string) => void) | undefined;

	#load(module: string, beam: BeamSnapshot, byDaemon: boolean): void {
		if (byDaemon) {
			this.onLoadByDaemon?.(module);
		}
		if (byDaemon && this.loaded.get(module)?.codeMd5 !== beam.codeMd5) {
			this.changedByDaemon.add(module);
			if (this.#random() < 0.5) {
				// A process stays in the old code for a while (a loop that has not made a fully qualified call yet).
				this.#oldCodeUntil.set(module, this.#now() + Math.floor(this.#random() * 1500));
			}
		}
		this.loaded.set(module, {codeMd5: beam.codeMd5, vsn: beam.vsn});
	}
}

/** What each buffer was judged to be, across schedules: a buffer is never changed once written, so its identity is its content. */
const judged = new WeakMap<Buffer, BeamSnapshot | undefined>();

/** The beam these bytes are, if they are a whole one of `module` (what the node would load). */
export function wholeBeam(path: string, module: string, bytes: Buffer): BeamSnapshot | undefined {
	if (!judged.has(bytes)) {
		const read = checkBeamHeader(bytes, bytes.byteLength).state === 'complete' ? judgeBeamContent(path, {bytes, mtimeMs: 0}) : undefined;
		judged.set(bytes, read?.state === 'complete' && read.snapshot.module === module ? read.snapshot : undefined);
	}
	return judged.get(bytes);
}
