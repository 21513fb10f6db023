import test from 'ava';
import {ApiError} from '../../../daemon/api/api-error.ts';
import {matchRoute, pathOf, type Handler, type RouteTable} from '../../../daemon/api/routes.ts';
import {serve, type ErrorAnswer} from './_fake-daemon.ts';

const get: Handler = async () => ({status: 200, body: 'get'});
const post: Handler = async () => ({status: 200, body: 'post'});
const table: RouteTable = new Map<string, Readonly<Record<string, Handler>>>([
	['/update-modules', {GET: get, POST: post}],
	['/status', {GET: get}],
]);

test('a path and method in the table give their handler; a query string changes nothing', t => {
	t.is(matchRoute(table, 'GET', '/update-modules'), get);
	t.is(matchRoute(table, 'POST', '/update-modules?x=1'), post);
	t.is(matchRoute(table, 'GET', '/status#top'), get);
	t.is(pathOf('/a/b?c'), '/a/b');
});

test('an unknown path is 404 naming it and listing the endpoints', t => {
	for (const url of ['/nope', '/status/', '/update-modules/../status', '//status']) {
		const error = t.throws(() => matchRoute(table, 'GET', url), {instanceOf: ApiError});
		t.is(error?.status, 404);
		t.is(error?.code, 'ERR_API_NOT_FOUND');
		t.true(error?.message.includes(JSON.stringify(pathOf(url))));
		t.regex(error?.hint ?? '', /\/update-modules, \/status/);
	}
});

test('a known path with a wrong method is 405 with an Allow header', t => {
	const error = t.throws(() => matchRoute(table, 'DELETE', '/update-modules'), {instanceOf: ApiError});
	t.is(error?.status, 405);
	t.is(error?.code, 'ERR_API_METHOD');
	t.is(error?.headers.Allow, 'GET, POST');
	t.regex(error?.message ?? '', /"DELETE" is not allowed on \/update-modules/);
	t.is(t.throws(() => matchRoute(table, 'POST', '/status'), {instanceOf: ApiError})?.headers.Allow, 'GET');
});

test('inherited names are no methods', t => {
	for (const method of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
		t.is(t.throws(() => matchRoute(table, method, '/status'), {instanceOf: ApiError})?.status, 405);
	}
});

const ROUTES = [
	['/update-modules/all', 'GET, POST'],
	['/update-modules', 'GET, POST'],
	['/status', 'GET'],
	['/healthz', 'GET'],
	['/events', 'GET'],
] as const;

test('the server answers 404 and 405 (with Allow) as JSON errors', async t => {
	const {url} = await serve(t);
	const missing = await fetch(`${url}/update-module`);
	t.is(missing.status, 404);
	t.is(missing.headers.get('content-type'), 'application/json; charset=utf-8');
	t.is((await missing.json() as ErrorAnswer).error.code, 'ERR_API_NOT_FOUND');
	for (const [path, allowed] of ROUTES) {
		const wrong = await fetch(`${url}${path}`, {method: 'DELETE'});
		t.is(wrong.status, 405, path);
		t.is(wrong.headers.get('allow'), allowed);
		const answer = await wrong.json() as ErrorAnswer;
		t.like(answer, {ok: false, error: {code: 'ERR_API_METHOD'}});
		t.truthy(answer.error.hint);
	}
});
