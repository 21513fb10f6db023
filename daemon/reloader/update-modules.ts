import {ReloaderError, errorMessage} from '../errors.ts';
import type {ModuleLocation, PurgeMode, Transport} from '../transports/transport.ts';

export interface UpdateAttempt {
	readonly raw: string;
	/** What ejabberdctl or mod_http_api said of each module (24.12); 23.01's release_handler list stays in `raw` (unpurged is asked of the node after the load). */
	readonly said: ReadonlyMap<string, 'updated' | 'notUpdated'>;
	/** Per module, when its update or load failed. */
	readonly errors: ReadonlyMap<string, string>;
}

/**
 * `ejabberd_update:update/1` for the listed modules. An unreachable node
 * propagates (the batch is handed back). If update fails for several modules
 * at once (an `on_load` that fails makes it return an 'EXIT'), each module is
 * tried on its own, so one bad module fails alone and the others are updated.
 */
export async function updateModules(transport: Transport, modules: readonly string[], signal?: AbortSignal): Promise<UpdateAttempt> {
	if (modules.length === 0) {
		return {raw: '', said: new Map(), errors: new Map()};
	}
	const first = await updateOnce(transport, modules, signal);
	if (first.error === undefined || modules.length === 1) {
		return {raw: first.raw, said: first.said, errors: new Map(first.error === undefined ? [] : modules.map(module => [module, first.error ?? '']))};
	}
	const errors = new Map<string, string>();
	const raws = [first.raw];
	const said = new Map(first.said);
	for (const module of modules) {
		const alone = await updateOnce(transport, [module], signal);
		raws.push(alone.raw);
		for (const [name, verdict] of alone.said) {
			said.set(name, verdict);
		}
		if (alone.error !== undefined) {
			errors.set(module, alone.error);
		}
	}
	return {raw: raws.filter(raw => raw !== '').join('\n'), said, errors};
}

/** Load beams directly (outside update_info's reach, or never loaded), one by one; only a plan with `loadDirect` (capabilities.loadBeam) gives any. */
export async function loadBeams(transport: Transport, locations: readonly ModuleLocation[], purge: PurgeMode, signal?: AbortSignal): Promise<Map<string, string>> {
	const errors = new Map<string, string>();
	for (const location of locations) {
		const refused = await guard(() => transport.loadBeam(location, purge, signal));
		if (refused !== undefined) {
			errors.set(location.module, refused);
		}
	}
	return errors;
}

async function updateOnce(transport: Transport, modules: readonly string[], signal?: AbortSignal): Promise<{raw: string; error?: string; said: ReadonlyMap<string, 'updated' | 'notUpdated'>}> {
	let outcome;
	try {
		outcome = await transport.update(modules, signal);
	} catch (error) {
		return {raw: '', error: await guard(() => Promise.reject(error)), said: new Map()};
	}
	const result = outcome.result;
	const said = outcome.said ?? new Map();
	if (result === undefined || result.kind === 'ok') {
		return {raw: outcome.raw, said};
	}
	return {raw: outcome.raw, error: `ejabberd_update:update/1 returned ${result.kind === 'exit' ? "an 'EXIT'" : 'an error'}: ${result.reason}`, said};
}

/** Run a node operation; a retryable failure propagates, any other becomes its reason. */
async function guard(operation: () => Promise<string | undefined>): Promise<string | undefined> {
	try {
		return await operation();
	} catch (error) {
		if (error instanceof ReloaderError && error.retryable) {
			throw error;
		}
		return `failed: ${errorMessage(error)}`;
	}
}
