import {URLSearchParams} from 'node:url';
import {describeValue, errorMessage} from '../errors.ts';
import {ApiError} from './api-error.ts';
import {jsonDepth} from './json-depth.ts';

/** A member's name as the config's `cluster.nodes` takes it. */
const NODE_NAME = /^[A-Za-z0-9_-]+@[A-Za-z0-9_.-]+$/;

/** More members than any cluster has: a longer list is a mistake (or an attack), refused before anything is looked up. */
export const MAX_NODES = 64;

/** An Erlang atom holds at most 255 characters: a longer name names no node. */
const MAX_NODE_NAME = 255;

/** `{"nodes": ["a@h"]}` nests two deep. */
const MAX_DEPTH = 8;

export const NODES_HINT = 'Name cluster members as /status lists them under `members`, e.g. {"nodes": ["ejabberd@host2"]} in a JSON body, or ?nodes=ejabberd@host2,ejabberd@host3 on GET /update-modules/all; leave `nodes` out to update every member.';

/**
 * A request's `nodes`: a non-empty JSON list of at most MAX_NODES member
 * names (`name@host`), duplicates dropped, in the order given. Whether they
 * are members is the daemon's to say (ERR_NODE_UNKNOWN); this checks only the
 * shape, so that a bad value never reaches it. `where` names the value in
 * messages (`nodes`, `?nodes=`).
 */
export function parseNodeList(value: unknown, where = '`nodes`'): readonly string[] {
	if (!Array.isArray(value)) {
		throw shapeError(`Expected ${where} to be a list of node names (name@host), got ${describeValue(value)}`);
	}
	if (value.length === 0) {
		throw shapeError(`Expected ${where} to name at least one node, got an empty list (to update every member, leave \`nodes\` out)`);
	}
	if (value.length > MAX_NODES) {
		throw shapeError(`Expected ${where} to name at most ${MAX_NODES} nodes, got ${value.length}`);
	}
	for (const [index, node] of value.entries()) {
		if (typeof node !== 'string' || node.length > MAX_NODE_NAME || !NODE_NAME.test(node)) {
			throw shapeError(`Expected every entry of ${where} to be a node name like ejabberd@host2 (name@host: letters, digits, _ and - before the @, and also . after it), got ${describeValue(node)} at index ${index}`);
		}
	}
	return [...new Set(value as string[])];
}

/**
 * `?nodes=a@h,b@h` (one parameter, names separated by commas), as
 * `GET /update-modules/all` takes it; undefined without a query. Any other
 * parameter is refused: a misspelt `?node=` must not update every member.
 */
export function parseNodesQuery(url: string): readonly string[] | undefined {
	const start = url.indexOf('?');
	if (start === -1) {
		return undefined;
	}
	const query = new URLSearchParams(url.slice(start + 1).split('#')[0]);
	const others = [...new Set([...query.keys()].filter(key => key !== 'nodes'))];
	if (others.length > 0) {
		throw shapeError(`Unknown query parameter(s) ${others.slice(0, 5).map(key => describeValue(key)).join(', ')}; the only one is \`nodes\``);
	}
	const given = query.getAll('nodes');
	if (given.length === 0) {
		return undefined;
	}
	if (given.length > 1) {
		throw shapeError(`Expected \`?nodes=\` once, with the names separated by commas, got it ${given.length} times`);
	}
	const text = given[0] ?? '';
	return parseNodeList(text === '' ? [] : text.split(','), '`?nodes=`');
}

/** Whether a URL's query has a `nodes` parameter (where only a body may name nodes). */
export function queryNamesNodes(url: string): boolean {
	const start = url.indexOf('?');
	return start !== -1 && new URLSearchParams(url.slice(start + 1).split('#')[0]).has('nodes');
}

/**
 * A `POST /update-modules/all` body: empty (or `{}`) for every member, or
 * `{"nodes": [...]}`. Anything else is refused rather than ignored: a body
 * that meant to restrict the update must not update everything.
 */
export function parseReconcileBody(body: Buffer): readonly string[] | undefined {
	const text = body.toString('utf8');
	if (text.trim() === '') {
		return undefined;
	}
	if (jsonDepth(text, MAX_DEPTH) > MAX_DEPTH) {
		throw new ApiError(400, 'ERR_API_JSON_DEPTH', `The request body nests more than ${MAX_DEPTH} levels deep; {"nodes": [...]} nests 2`, {hint: NODES_HINT});
	}
	let value: unknown;
	try {
		value = JSON.parse(text);
	} catch (error) {
		throw new ApiError(400, 'ERR_API_JSON', `The request body is not valid JSON: ${errorMessage(error)}`, {hint: NODES_HINT});
	}
	if (typeof value !== 'object' || value === null || Array.isArray(value)) {
		throw shapeError(`Expected an empty body, {} or {"nodes": [...]}, got ${describeValue(value)}`);
	}
	const others = Object.keys(value).filter(key => key !== 'nodes');
	if (others.length > 0) {
		throw shapeError(`Expected an object whose only key is \`nodes\`, got the key(s) ${others.slice(0, 5).map(key => describeValue(key)).join(', ')}`);
	}
	const {nodes} = value as {nodes?: unknown};
	return nodes === undefined ? undefined : parseNodeList(nodes);
}

function shapeError(message: string): ApiError {
	return new ApiError(400, 'ERR_API_BODY_SHAPE', message, {hint: NODES_HINT});
}
