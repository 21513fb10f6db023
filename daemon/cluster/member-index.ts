import {BeamIndex, type BeamEntry, type StrayEntry} from '../modules/beam-index.ts';

/**
 * The daemon's index as one member's reloader sees it: where each beam is
 * comes from the daemon's index (and a path a batch notes goes back there),
 * but the version each module last had is the member's own. Members update
 * in parallel: one member's batch must not make another's "before" look like
 * the new version.
 */
export class MemberIndex extends BeamIndex {
	readonly #base: BeamIndex;
	readonly #versions = new Map<string, Pick<BeamEntry, 'vsn' | 'codeMd5'>>();

	constructor(base: BeamIndex) {
		super();
		this.#base = base;
	}

	override get size(): number {
		return this.#base.size;
	}

	override get(module: string): BeamEntry | undefined {
		const entry = this.#base.get(module);
		const own = this.#versions.get(module);
		return entry === undefined || own === undefined ? entry : {path: entry.path, vsn: own.vsn, codeMd5: own.codeMd5};
	}

	override has(module: string): boolean {
		return this.#base.has(module);
	}

	override notePath(module: string, path: string): void {
		this.#base.notePath(module, path);
	}

	override noteVersion(module: string, path: string, vsn: string | undefined, codeMd5?: string): void {
		this.#base.notePath(module, path);
		this.#versions.set(module, {vsn, codeMd5});
	}

	override noteStray(entry: StrayEntry): void {
		this.#base.noteStray(entry);
	}

	override strays(): readonly StrayEntry[] {
		return this.#base.strays();
	}

	override modules(): string[] {
		return this.#base.modules();
	}
}
