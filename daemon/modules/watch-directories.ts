import {stat} from 'node:fs/promises';
import {basename, dirname, join} from 'node:path';
import type {ResolvedConfig} from '../config/schema.ts';
import {findEjabberdInstall} from '../ejabberd/ejabberd-install.ts';
import {ReloaderError, errorMessage} from '../errors.ts';
import {transportFit} from '../transports/check-capabilities.ts';
import {createPathMap, describePathsEntry, isWithin, type PathMap} from '../transports/path-map.ts';
import type {CodeLocations, Transport} from '../transports/transport.ts';

/** What `watch` resolves to: the directories to watch, and a warning for each one that is not there (yet). */
export interface WatchDirectories {
	/** Every directory to watch, present or not: a missing one is watched as soon as it appears. */
	readonly directories: readonly string[];
	/** The ones that exist now (the initial scan reads these). */
	readonly present: readonly string[];
	/** `auto` over a transport that can ask: ejabberd's contrib modules directory as this host sees it, to follow while the daemon runs (absent when the node has none, or this host does not see it). */
	readonly contrib?: string;
}

/**
 * The directories to watch: as configured, or with `auto` where the node's
 * code is. Over a transport that can ask (`dist`): the directory update_info
 * scans, plus every directory on the node's code path that holds a loaded
 * module under ejabberd's application directory or its contrib modules
 * directory, each translated through `paths`. Otherwise, only when that is
 * certain (check-capabilities.ts), the installed ejabberd's ebin.
 *
 * A listed directory that does not exist yet is a warning, not an error: it is
 * watched as soon as it appears. One that exists but is no directory is an
 * error (a typo would otherwise watch nothing). Update_info's directory found
 * by `auto` must exist here: its absence means the node sees other paths
 * (a container, a chroot), and the error shows the `paths` entry to add.
 */
export async function resolveWatchDirectories(config: ResolvedConfig, transport: Transport, onWarning: (message: string, code: WatchWarningCode) => void): Promise<WatchDirectories> {
	const resolved: WatchDirectories = config.watch === 'auto' ? await autoDirectories(config, transport, onWarning) : await checkListedDirectories(config.watch, onWarning);
	if (!transport.capabilities.loadBeam) {
		await warnBeyondReach(resolved.present, transport, onWarning);
	}
	return resolved;
}

/**
 * Without loading beams directly (ctl, http), only update_info's directory
 * (the one holding ejabberd.beam) is within reach: say at start that a change
 * in any other watched directory will be outOfReach, and that one made while
 * the daemon was away goes unnoticed (the loaded code cannot be compared).
 */
async function warnBeyondReach(present: readonly string[], transport: Transport, onWarning: (message: string, code: WatchWarningCode) => void): Promise<void> {
	const holding = await Promise.all(present.map(async directory => stat(join(directory, 'ejabberd.beam')).then(stats => stats.isFile(), () => false)));
	const reach = present[holding.indexOf(true)];
	const beyond = present.filter(directory => directory !== reach);
	if (reach === undefined || beyond.length === 0) {
		return;
	}
	onWarning(`watch: ${beyond.join(', ')} ${beyond.length === 1 ? 'is' : 'are'} beyond the directory update_info scans (${reach}): over transport ${transport.kind} a changed module there is reported outOfReach, not loaded, and one changed while the daemon was not running goes unnoticed (${transport.kind} cannot see which code the node runs). Use transport: dist to load them.`, 'WARN_WATCH_BEYOND_REACH');
}

/** WARN_WATCH_AUTO: how `auto` was resolved needs a look; WARN_WATCH_MISSING: a directory to watch is not there yet; WARN_WATCH_BEYOND_REACH: ctl/http cannot load what changes there. */
export type WatchWarningCode = 'WARN_WATCH_AUTO' | 'WARN_WATCH_MISSING' | 'WARN_WATCH_BEYOND_REACH';

async function checkListedDirectories(listed: readonly string[], onWarning: (message: string, code: WatchWarningCode) => void): Promise<WatchDirectories> {
	const problems: ReloaderError[] = [];
	const present: string[] = [];
	await Promise.all(listed.map(async (directory, position) => {
		const stats = await stat(directory).catch((error: unknown) => error as NodeJS.ErrnoException);
		if (stats instanceof Error) {
			if (stats.code === 'ENOENT') {
				onWarning(`watch[${position}]: ${directory} does not exist yet; it is watched as soon as it appears. ${missingDirectoryHint(directory)}`, 'WARN_WATCH_MISSING');
				return;
			}
			problems.push(new ReloaderError('ERR_CONFIG_INVALID', `watch[${position}]: ${directory} cannot be watched (${stats.code ?? errorMessage(stats)})`, {
				hint: 'Give the daemon\'s user access to the directory, or fix `watch`.',
			}));
		} else if (!stats.isDirectory()) {
			problems.push(new ReloaderError('ERR_CONFIG_INVALID', `watch[${position}]: ${directory} is not a directory`, {
				hint: 'Set `watch` to the directories `make install` writes beams into (ejabberd\'s ebin, a contrib module\'s ebin).',
			}));
		} else {
			present.push(directory);
		}
	}));
	if (problems.length > 0) {
		throw new WatchDirectoryError(problems);
	}
	return {directories: listed, present: listed.filter(directory => present.includes(directory))};
}

/** Every problem with the listed directories, so the caller can list them one by one. */
export class WatchDirectoryError extends ReloaderError {
	readonly problems: readonly ReloaderError[];

	constructor(problems: readonly ReloaderError[]) {
		super('ERR_CONFIG_INVALID', problems.map(problem => problem.message).join('; '), {hint: problems[0]?.hint});
		this.name = 'WatchDirectoryError';
		this.problems = problems;
	}
}

/**
 * What fits a directory that is not there yet: a contrib module's ebin
 * appears with `ejabberdctl module_install`, an ebin with `make install`.
 */
export function missingDirectoryHint(directory: string): string {
	if (directory.split('/').includes('.ejabberd-modules') || (basename(directory) === 'ebin' && /contrib|modules/i.test(dirname(dirname(directory))))) {
		return `It looks like a contrib module's ebin: \`ejabberdctl module_install ${basename(dirname(directory))}\` (or the module's \`make install\`) creates it.`;
	}
	if (basename(directory) === 'ebin') {
		return 'It looks like an ebin: `make install` (or the first build) creates it.';
	}
	return 'Create it, or fix `watch` if it is a typo.';
}

async function autoDirectories(config: ResolvedConfig, transport: Transport, onWarning: (message: string, code: WatchWarningCode) => void): Promise<WatchDirectories> {
	if (!transport.capabilities.codeDirectory) {
		const uncertain = transportFit(config, transport.kind).problems.find(problem => problem.path === 'watch');
		if (uncertain !== undefined) {
			throw new ReloaderError('ERR_CONFIG_INVALID', uncertain.message, {hint: 'Set `watch` to the node\'s ebin as this host sees it, or use transport: dist.'});
		}
		return present([(await findEjabberdInstall()).ebinDir]);
	}
	const paths = createPathMap(config.paths);
	let locations: CodeLocations;
	try {
		locations = await transport.codeLocations();
	} catch (error) {
		if (paths.mappings.length > 0) {
			throw new ReloaderError('ERR_CONFIG_INVALID', `watch: auto: could not ask ${transport.node} where its code is (${errorMessage(error)}), and with \`paths\` set the installed ejabberd's ebin of this host is not the node's`, {
				hint: 'Start the node first, or list in `watch` the node\'s ebin as this host sees it.',
			});
		}
		onWarning(`Could not ask ${transport.node} where ejabberd's code is (${errorMessage(error)}); watching the installed ejabberd's ebin instead`, 'WARN_WATCH_AUTO');
		return present([(await findEjabberdInstall()).ebinDir]);
	}
	if (!(await isDirectory(locations.ejabberd))) {
		throw new ReloaderError('ERR_CONFIG_INVALID', describeUnreachable(transport.node, locations.ejabberd, paths), {
			hint: `Add the directory to \`paths\` as this host sees it, e.g. ${describePathsEntry(paths.toNode(locations.ejabberd))}, or list it in \`watch\`.`,
		});
	}
	const selected = selectAutoDirectories(locations);
	const directories = [locations.ejabberd];
	for (const directory of selected.slice(1)) {
		if (await isDirectory(directory)) {
			directories.push(directory);
		} else {
			onWarning(`watch: auto: ${transport.node} loads modules from ${paths.toNode(directory)}, which this host does not see${paths.mapToLocal(paths.toNode(directory)).mapping === undefined ? '' : ` at ${directory}`}; its modules are not watched. To watch them add ${describePathsEntry(paths.toNode(directory))}`, 'WARN_WATCH_AUTO');
		}
	}
	const contrib = locations.contrib !== undefined && await isDirectory(locations.contrib) ? locations.contrib : undefined;
	return {...present(directories), ...(contrib === undefined ? {} : {contrib})};
}

/** Directories found by asking: they exist now. */
function present(directories: readonly string[]): WatchDirectories {
	return {directories, present: directories};
}

/**
 * Pure: update_info's directory first, then each directory holding a loaded
 * module that lies under ejabberd's application directory (the parent of its
 * ebin) or under the contrib modules directory, in code path order. Other
 * directories (OTP's, dependencies elsewhere) are not ejabberd's to reload.
 */
export function selectAutoDirectories(locations: CodeLocations): string[] {
	const application = dirname(locations.ejabberd);
	const selected = [locations.ejabberd];
	for (const directory of locations.loaded) {
		const belongs = isWithin(directory, application) || (locations.contrib !== undefined && isWithin(directory, locations.contrib));
		if (belongs && !selected.includes(directory)) {
			selected.push(directory);
		}
	}
	return selected;
}

/** The node loads ejabberd from a directory this host does not have: say so, and which `paths` entry would fix it. */
export function describeUnreachable(node: string, localDirectory: string, paths: PathMap): string {
	const nodeDirectory = paths.toNode(localDirectory);
	const {mapping} = paths.mapToLocal(nodeDirectory);
	if (mapping === undefined) {
		return `watch: auto: ${node} loads ejabberd from ${nodeDirectory}, which does not exist on this host, and no \`paths\` entry covers it (the node runs in a container, a chroot or on another machine): add the directory as this host sees it, ${describePathsEntry(nodeDirectory)}`;
	}
	return `watch: auto: ${node} loads ejabberd from ${nodeDirectory}, which paths[${mapping}] maps to ${localDirectory}, which does not exist on this host: fix paths[${mapping}].local (${describePathsEntry(nodeDirectory)})`;
}

async function isDirectory(path: string): Promise<boolean> {
	return stat(path).then(stats => stats.isDirectory(), () => false);
}
