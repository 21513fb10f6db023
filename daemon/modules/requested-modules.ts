import {ReloaderError, describeValue} from '../errors.ts';
import type {BeamIndex} from './beam-index.ts';
import {isModuleName} from './module-name.ts';

export interface RequestedModule {
	readonly module: string;
	readonly path: string;
}

/**
 * Turn names from outside (an HTTP body) into beams the daemon knows, or say
 * exactly what is wrong. Nothing unchecked reaches the node: ejabberd turns
 * names into atoms, which are never collected, so an unknown name must not
 * even be sent. A wrong shape or a malformed name is `ERR_MODULE_NAME` (400);
 * a well-formed name with no beam in the watched directories is
 * `ERR_MODULE_UNKNOWN` (404).
 */
export function resolveRequestedModules(names: unknown, index: BeamIndex): RequestedModule[] {
	if (!Array.isArray(names) || names.length === 0) {
		throw new ReloaderError('ERR_MODULE_NAME', `Expected a non-empty list of module names, got ${describeValue(names)}`, {
			hint: 'Send ["mod_a","mod_b"] or {"modules": ["mod_a"]}.',
		});
	}
	const malformed = names.filter(name => typeof name !== 'string' || !isModuleName(name));
	if (malformed.length > 0) {
		throw new ReloaderError('ERR_MODULE_NAME', `Not module names: ${malformed.slice(0, 5).map(name => describeValue(name)).join(', ')}${malformed.length > 5 ? ` and ${malformed.length - 5} more` : ''}`, {
			hint: 'A module name is a letter, then letters, digits, _ @ or . (at most 255), as its beam file is named without `.beam`.',
		});
	}
	const unique = [...new Set(names as string[])];
	const unknown = unique.filter(name => !index.has(name));
	if (unknown.length > 0) {
		throw new ReloaderError('ERR_MODULE_UNKNOWN', `No beam in the watched directories for: ${unknown.slice(0, 10).join(', ')}${unknown.length > 10 ? ` and ${unknown.length - 10} more` : ''}`, {
			hint: 'Install the module first (make install), or check `watch` covers its ebin.',
		});
	}
	return unique.map(module => ({module, path: index.get(module)?.path ?? ''}));
}
