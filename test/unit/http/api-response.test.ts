import test from 'ava';
import {ReloaderError, type ErrorCode} from '../../../daemon/errors.ts';
import {bodyExcerpt, interpretApiResponse, readModuleList, type ApiCall} from '../../../daemon/transports/http/api-response.ts';

const call: ApiCall = {command: 'update_list', url: 'http://127.0.0.1:5280/api/update_list', authenticated: false};
const JSON_403 = '{"status":"error","code":32,"message":"AccessRules: Account does not have the right to perform the operation."}';
const JSON_401 = '{"status":"error","code":10,"message":"You are not authorized to call this command."}';
const HTML_404 = '<?xml version=\'1.0\'?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "x.dtd">\n<html><head></head><body><h1>404 Not Found</h1></body></html>';

test('a 2xx answer gives its JSON value', t => {
	t.deepEqual(interpretApiResponse(call, {status: 200, body: '["mod_a","mod_b"]'}), ['mod_a', 'mod_b']);
	t.is(interpretApiResponse({...call, command: 'update'}, {status: 200, body: '""'}), '');
});

interface Expected {
	readonly code: ErrorCode;
	readonly retryable?: boolean;
	readonly message: RegExp;
	readonly hint?: RegExp;
}

const fails = test.macro({
	exec(t, answer: {status: number; body: string; location?: string}, expected: Expected, context: ApiCall = call) {
		const error = t.throws(() => interpretApiResponse(context, answer), {instanceOf: ReloaderError});
		t.is(error?.code, expected.code);
		t.is(error?.retryable, expected.retryable ?? false);
		t.regex(error?.message ?? '', expected.message);
		t.truthy(error?.hint);
		if (expected.hint !== undefined) {
			t.regex(error?.hint ?? '', expected.hint);
		}
	},
	title: (title = '', answer: {status: number}) => `${answer.status} → ${title}`,
});

test('ERR_NODE_COMMAND quoting the body (2xx, not JSON)', fails, {status: 200, body: 'hello <b>world</b>'}, {code: 'ERR_NODE_COMMAND', message: /not JSON: hello world$/});
test('ERR_HTTP asking for credentials (no auth sent)', fails, {status: 401, body: JSON_401}, {code: 'ERR_HTTP', message: /401 .*You are not authorized/, hint: /set http\.user and http\.passwordFile/});
test('ERR_HTTP blaming the credentials (auth sent)', fails, {status: 401, body: JSON_401}, {code: 'ERR_HTTP', message: /401/, hint: /http\.passwordFile must hold its current password/}, {...call, authenticated: true});
test('ERR_HTTP pointing at the api_permissions rule', fails, {status: 403, body: JSON_403}, {code: 'ERR_HTTP', message: /403 \(forbidden\) to update_list: AccessRules: Account does not have/, hint: /config\/ejabberd-http-api\.yml.*`acl: loopback` and `acl: admin` requires both/});
test('ERR_HTTP pointing at http.url (HTML page)', fails, {status: 404, body: HTML_404}, {code: 'ERR_HTTP', message: /404 \(not found\) to update_list: 404 Not Found$/, hint: /mod_http_api/});
test('ERR_HTTP pointing at http.url (unknown command)', fails, {status: 404, body: '{"status":"error","code":40,"message":"Endpoint not found."}'}, {code: 'ERR_HTTP', message: /Endpoint not found\.$/});
test('ERR_HTTP for other client errors', fails, {status: 400, body: '"Request have missing argument: module"'}, {code: 'ERR_HTTP', message: /400 to update_list: Request have missing argument: module$/});
test('ERR_HTTP naming the redirect target', fails, {status: 302, body: '', location: 'https://x/api/update_list'}, {code: 'ERR_HTTP', message: /302, a redirect to https:\/\/x\/api\/update_list/});
test('ERR_NODE_COMMAND quoting the body (server error)', fails, {status: 500, body: '{"status":"error","code":-1,"message":"badarg"}'}, {code: 'ERR_NODE_COMMAND', message: /500 to update_list: badarg$/, hint: /ejabberd\.log/});
test('ERR_NODE_DOWN, retryable (not ready)', fails, {status: 503, body: ''}, {code: 'ERR_NODE_DOWN', retryable: true, message: /not ready: \(empty body\)$/});

test('update_list must answer a list of strings', t => {
	t.deepEqual(readModuleList(['mod_a', 'Elixir.Foo'], call), ['mod_a', 'Elixir.Foo']);
	t.deepEqual(readModuleList([], call), []);
	for (const wrong of [{modules: []}, 'mod_a', null, [1, 2], ['mod_a', {x: 1}]]) {
		const error = t.throws(() => readModuleList(wrong, call), {instanceOf: ReloaderError});
		t.is(error?.code, 'ERR_NODE_COMMAND');
		t.regex(error?.message ?? '', /expected a JSON list of module names/);
	}
});

test('names that could not come from a beam are dropped from the list', t => {
	t.deepEqual(readModuleList(['mod_a', '', '../x', 'all x', 'mod_b'], call), ['mod_a', 'mod_b']);
});

test('excerpts are one short line', t => {
	t.is(bodyExcerpt('  a\n\n b  '), 'a b');
	t.is(bodyExcerpt(''), '(empty body)');
	t.is(bodyExcerpt('"quoted"'), 'quoted');
	t.is(bodyExcerpt('{"status":"error"}'), '{"status":"error"}');
	const long = bodyExcerpt('x'.repeat(1000));
	t.is(long.length, 160);
	t.true(long.endsWith('...'));
});
