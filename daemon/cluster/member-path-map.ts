import {createPathMap, normalizeDirectory, type MappedPath, type PathMap, type PathMapping} from '../transports/path-map.ts';

/**
 * Where one member sees the daemon's directories: the configured `paths`,
 * plus, once learned, the member's own update_info directory for the
 * daemon's. Each member of a cluster loads from its own disk, and its ebin
 * need not be where the daemon watches (another ejabberd release, another
 * prefix): a beam of the daemon's ebin is asked for in the member's ebin.
 */
export class MemberPathMap implements PathMap {
	readonly #configured: readonly PathMapping[];
	#map: PathMap;

	constructor(configured: readonly PathMapping[]) {
		this.#configured = configured;
		this.#map = createPathMap(configured);
	}

	get mappings(): readonly PathMapping[] {
		return this.#map.mappings;
	}

	/**
	 * The member's update_info directory is `node` (as it sees it), the
	 * daemon's is `local`. This replaces a configured mapping of either
	 * directory: `paths` may describe the configured node (a container), and
	 * each member says itself where its ebin is.
	 */
	learnEbin(local: string, node: string): void {
		const [ownLocal, ownNode] = [normalizeDirectory(local), normalizeDirectory(node)];
		const others = this.#configured.filter(mapping => normalizeDirectory(mapping.local) !== ownLocal && normalizeDirectory(mapping.node) !== ownNode);
		this.#map = createPathMap(ownLocal === ownNode && others.length === this.#configured.length ? this.#configured : [...others, {local: ownLocal, node: ownNode}]);
	}

	toNode(localPath: string): string {
		return this.#map.toNode(localPath);
	}

	toLocal(nodePath: string): string {
		return this.#map.toLocal(nodePath);
	}

	mapToNode(localPath: string): MappedPath {
		return this.#map.mapToNode(localPath);
	}

	mapToLocal(nodePath: string): MappedPath {
		return this.#map.mapToLocal(nodePath);
	}
}
