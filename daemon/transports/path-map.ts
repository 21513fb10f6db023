import {posix} from 'node:path';

/**
 * Where a directory of the daemon's is on the node, like a container's volume
 * (`-v /srv/ebin:/opt/ejabberd/lib/x/ebin`): `local` as this process sees it,
 * `node` as the node sees it. Both absolute and normalised.
 */
export interface PathMapping {
	readonly local: string;
	readonly node: string;
}

/** Where a path leads on the other side, and whether a mapping said so (or it is the same path, for want of one). */
export interface MappedPath {
	readonly path: string;
	/** The index of the mapping used in `paths`; undefined: no mapping covers the path, it is passed unchanged. */
	readonly mapping: number | undefined;
}

/**
 * Translate paths between the daemon and the node. Pure. The longest matching
 * prefix wins (whole components only: `/srv/ebin` covers `/srv/ebin/x.beam`,
 * not `/srv/ebin2`); a path no mapping covers is the same on both sides,
 * which is right for a node on this host.
 */
export interface PathMap {
	readonly mappings: readonly PathMapping[];
	/** A path of the daemon's as the node sees it (every path sent to the node). */
	toNode(localPath: string): string;
	/** A path of the node's as the daemon sees it (every path the node sends). */
	toLocal(nodePath: string): string;
	/** toNode, saying which mapping applied. */
	mapToNode(localPath: string): MappedPath;
	/** toLocal, saying which mapping applied. */
	mapToLocal(nodePath: string): MappedPath;
}

export function createPathMap(mappings: readonly PathMapping[] = []): PathMap {
	const frozen = Object.freeze(mappings.map(({local, node}) => Object.freeze({local: normalizeDirectory(local), node: normalizeDirectory(node)})));
	const mapToNode = (path: string): MappedPath => translate(frozen, path, 'local', 'node');
	const mapToLocal = (path: string): MappedPath => translate(frozen, path, 'node', 'local');
	return Object.freeze({
		mappings: frozen,
		mapToNode,
		mapToLocal,
		toNode: (path: string) => mapToNode(path).path,
		toLocal: (path: string) => mapToLocal(path).path,
	});
}

/** The identity map: daemon and node see the same paths. */
export const IDENTITY_PATH_MAP: PathMap = createPathMap();

function translate(mappings: readonly PathMapping[], path: string, from: keyof PathMapping, to: keyof PathMapping): MappedPath {
	let best: number | undefined;
	for (const [index, mapping] of mappings.entries()) {
		if (isWithin(path, mapping[from]) && (best === undefined || mapping[from].length > (mappings[best]?.[from].length ?? 0))) {
			best = index;
		}
	}
	const mapping = best === undefined ? undefined : mappings[best];
	if (mapping === undefined) {
		return {path, mapping: undefined};
	}
	const below = mapping[from] === '/' ? path.slice(1) : path.slice(mapping[from].length + 1);
	const target = mapping[to];
	return {path: below === '' ? target : target === '/' ? `/${below}` : `${target}/${below}`, mapping: best};
}

/** `path` is `directory` or below it, by whole components. */
export function isWithin(path: string, directory: string): boolean {
	return path === directory || path.startsWith(directory === '/' ? '/' : `${directory}/`);
}

/** `/srv//ebin/` → `/srv/ebin`; `/` stays `/`. */
export function normalizeDirectory(path: string): string {
	const normalized = posix.normalize(path);
	return normalized.length > 1 && normalized.endsWith('/') ? normalized.slice(0, -1) : normalized;
}

/** One problem with a `paths` entry, for the config's problem list. */
export interface PathMappingProblem {
	/** Key path below `paths`, e.g. `[1].node`. */
	readonly path: readonly (string | number)[];
	readonly message: string;
	readonly value: unknown;
}

/**
 * Every problem with a list of mappings, at once: each side absolute, no
 * `..`, and no directory mapped twice on either side (two `local`s for one
 * node directory would make the way back ambiguous, and the other way round).
 */
export function pathMappingProblems(mappings: readonly PathMapping[]): PathMappingProblem[] {
	const problems: PathMappingProblem[] = [];
	const seen = {local: new Map<string, number>(), node: new Map<string, number>()};
	for (const [index, mapping] of mappings.entries()) {
		for (const side of ['local', 'node'] as const) {
			const value = mapping[side];
			if (!value.startsWith('/')) {
				problems.push({path: [index, side], value, message: `must be an absolute path (starting with /), e.g. ${side === 'local' ? '/srv/ejabberd/ebin' : '/opt/ejabberd/lib/ejabberd-24.12/ebin'}`});
				continue;
			}
			if (value.split('/').includes('..')) {
				problems.push({path: [index, side], value, message: 'must not contain `..`: give the directory itself'});
				continue;
			}
			const normalized = normalizeDirectory(value);
			const first = seen[side].get(normalized);
			if (first === undefined) {
				seen[side].set(normalized, index);
			} else {
				problems.push({path: [index, side], value, message: `maps ${normalized} again (paths[${first}].${side} already does): each ${side === 'local' ? 'daemon' : 'node'} directory may appear once`});
			}
		}
	}
	return problems;
}

/** The `paths` entry that makes the daemon see `nodeDirectory` at `localDirectory`, as YAML for a message. */
export function describePathsEntry(nodeDirectory: string, localDirectory = '<where this directory is on this machine>'): string {
	return `paths: [{local: ${localDirectory}, node: ${nodeDirectory}}]`;
}
