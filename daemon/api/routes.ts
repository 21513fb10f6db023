import type {IncomingMessage, ServerResponse} from 'node:http';
import type {Answer} from './answer.ts';
import {ApiError} from './api-error.ts';

/** A route's work: a JSON answer for the server to write, or undefined when it answers itself (SSE). */
export type Handler = (request: IncomingMessage, response: ServerResponse) => Promise<Answer | undefined>;

/** path → method → handler. */
export type RouteTable = ReadonlyMap<string, Readonly<Record<string, Handler>>>;

/** The handler for a request, or the 404/405 that says why there is none. */
export function matchRoute(table: RouteTable, method: string, url: string): Handler {
	const path = pathOf(url);
	const methods = table.get(path);
	if (methods === undefined) {
		throw new ApiError(404, 'ERR_API_NOT_FOUND', `No such endpoint: ${quote(path)}`, {
			hint: `The endpoints are ${[...table.keys()].join(', ')}.`,
		});
	}
	const handler = Object.hasOwn(methods, method) ? methods[method] : undefined;
	if (handler === undefined) {
		const allowed = Object.keys(methods).join(', ');
		throw new ApiError(405, 'ERR_API_METHOD', `${quote(method)} is not allowed on ${path}`, {
			hint: `Use ${allowed}.`,
			headers: {Allow: allowed},
		});
	}
	return handler;
}

/** The path without the query string; a query changes nothing here. */
export function pathOf(url: string): string {
	const end = url.search(/[?#]/);
	return end === -1 ? url : url.slice(0, end);
}

function quote(text: string): string {
	return JSON.stringify(text.length > 200 ? `${text.slice(0, 197)}...` : text);
}
