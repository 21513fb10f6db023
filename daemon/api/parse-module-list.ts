import {describeValue, errorMessage} from '../errors.ts';
import type {PurgeMode} from '../transports/transport.ts';
import {ApiError} from './api-error.ts';
import {jsonDepth} from './json-depth.ts';
import {parseNodeList} from './parse-node-list.ts';

/** `{"modules": ["mod_a"]}` nests two deep; anything much deeper is not a module list. */
export const MAX_JSON_DEPTH = 8;

const SHAPE_HINT = 'Send a JSON list of module names, e.g. ["mod_a","mod_b"], or {"modules": ["mod_a"]}, or {"modules": ["mod_a"], "purge": "brutal"} to force modules held back by purge: soft; in a cluster, add "nodes": ["ejabberd@host2"] to update only those members.';

/** The keys an object body may have besides `modules`. */
const OPTIONAL_KEYS = new Set(['purge', 'nodes']);

/** What a `POST /update-modules` asks for: the names, a purge that overrides the configured one, and (a cluster) the members to update. */
export interface UpdateRequest {
	readonly names: unknown;
	readonly purge?: PurgeMode;
	/** Only these cluster members; absent: every member (or the one node). */
	readonly nodes?: readonly string[];
}

/**
 * The names a `POST /update-modules` body asks for: a JSON list, or an object
 * whose only key is `modules`. What the names are worth (strings, module
 * names, beams that exist) is the daemon's to check; this only unwraps.
 */
export function parseModuleList(body: Buffer): unknown {
	return parseUpdateRequest(body).names;
}

/**
 * A `POST /update-modules` body: a JSON list of names, or
 * `{"modules": [...]}` with an optional `"purge": "brutal" | "soft"`
 * (`brutal` forces modules that `purge: soft` holds back, killing the
 * processes that run their old code) and an optional `"nodes": [...]`
 * (only these cluster members; see parseNodeList).
 */
export function parseUpdateRequest(body: Buffer): UpdateRequest {
	const text = body.toString('utf8');
	if (text.trim() === '') {
		throw new ApiError(400, 'ERR_API_JSON', 'The request body is empty', {hint: SHAPE_HINT});
	}
	const depth = jsonDepth(text, MAX_JSON_DEPTH);
	if (depth > MAX_JSON_DEPTH) {
		throw new ApiError(400, 'ERR_API_JSON_DEPTH', `The request body nests more than ${MAX_JSON_DEPTH} levels deep; a module list nests at most 2`, {hint: SHAPE_HINT});
	}
	let value: unknown;
	try {
		value = JSON.parse(text);
	} catch (error) {
		throw new ApiError(400, 'ERR_API_JSON', `The request body is not valid JSON: ${errorMessage(error)}`, {hint: SHAPE_HINT});
	}
	if (Array.isArray(value)) {
		return {names: value};
	}
	if (isPlainObject(value)) {
		const keys = Object.keys(value);
		const others = keys.filter(key => !OPTIONAL_KEYS.has(key) && key !== 'modules');
		if (keys.includes('modules') && others.length === 0) {
			return {
				names: value.modules,
				...(value.purge === undefined ? {} : {purge: readPurge(value.purge)}),
				...(value.nodes === undefined ? {} : {nodes: parseNodeList(value.nodes)}),
			};
		}
		throw new ApiError(400, 'ERR_API_BODY_SHAPE', keys.length === 0
			? 'Expected an object with the key `modules`, got an empty object'
			: others.length === 0
				? `Expected an object with the key \`modules\`, got only ${keys.map(key => `\`${key}\``).join(' and ')}`
				: `Expected an object with the key \`modules\` (and optionally \`purge\`, \`nodes\`), got the key(s) ${others.slice(0, 5).map(key => describeValue(key)).join(', ')}`, {hint: SHAPE_HINT});
	}
	throw new ApiError(400, 'ERR_API_BODY_SHAPE', `Expected a list of module names or {"modules": [...]}, got ${describeValue(value)}`, {hint: SHAPE_HINT});
}

function readPurge(value: unknown): PurgeMode {
	if (value === 'brutal' || value === 'soft') {
		return value;
	}
	throw new ApiError(400, 'ERR_API_BODY_SHAPE', `Expected \`purge\` to be "brutal" or "soft", got ${describeValue(value)}`, {hint: SHAPE_HINT});
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}
