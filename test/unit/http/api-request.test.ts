import {Buffer} from 'node:buffer';
import test from 'ava';
import {ReloaderError} from '../../../daemon/errors.ts';
import {basicAuthorization, buildApiRequest, commandUrl, parseBaseUrl} from '../../../daemon/transports/http/api-request.ts';

const joins = test.macro({
	exec(t, base: string, expected: string) {
		t.is(commandUrl(base, 'update_list'), expected);
	},
	title: (_, base: string) => `command URL from ${base}`,
});

test(joins, 'http://127.0.0.1:5280/api', 'http://127.0.0.1:5280/api/update_list');
test(joins, 'http://127.0.0.1:5280/api/', 'http://127.0.0.1:5280/api/update_list');
test(joins, 'http://127.0.0.1:5280/api//', 'http://127.0.0.1:5280/api/update_list');
test(joins, 'http://127.0.0.1:5280', 'http://127.0.0.1:5280/update_list');
test(joins, 'https://xmpp.example:443/admin/api/', 'https://xmpp.example/admin/api/update_list');

test('update_list is a POST of `{}` as JSON, without auth unless given', t => {
	const request = buildApiRequest(new URL('http://127.0.0.1:5280/api'), 'update_list', {});
	t.is(request.method, 'POST');
	t.is(request.url, 'http://127.0.0.1:5280/api/update_list');
	t.is(request.body, '{}');
	t.is(request.headers['Content-Type'], 'application/json');
	t.false('Authorization' in request.headers);
});

test('update carries the module as `{"module": name}`', t => {
	const request = buildApiRequest('http://127.0.0.1:5280/api/', 'update', {module: 'mod_hello'}, 'Basic eDp5');
	t.is(request.url, 'http://127.0.0.1:5280/api/update');
	t.deepEqual(JSON.parse(request.body), {module: 'mod_hello'});
	t.is(request.headers['Authorization'], 'Basic eDp5');
});

test('basic auth is `Basic base64(user:password)` in UTF-8', t => {
	const header = basicAuthorization('admin@localhost', 'pä:ss word');
	t.regex(header, /^Basic [A-Za-z0-9+/]+=*$/);
	t.is(Buffer.from(header.slice('Basic '.length), 'base64').toString('utf8'), 'admin@localhost:pä:ss word');
});

test('a base URL is accepted as http or https', t => {
	t.is(parseBaseUrl('http://127.0.0.1:5280/api').port, '5280');
	t.is(parseBaseUrl('https://xmpp.example/api').protocol, 'https:');
});

const refusesUrl = test.macro({
	exec(t, url: string, pattern: RegExp) {
		const error = t.throws(() => parseBaseUrl(url), {instanceOf: ReloaderError});
		t.is(error?.code, 'ERR_CONFIG_INVALID');
		t.regex(error?.message ?? '', pattern);
		t.truthy(error?.hint);
	},
	title: (_, url: string) => `refuses http.url ${url}`,
});

test(refusesUrl, 'not a url', /not a URL/);
test(refusesUrl, 'ftp://127.0.0.1/api', /expected http: or https:/);
test(refusesUrl, 'http://admin:hunter2@127.0.0.1:5280/api', /holds credentials/);

test('credentials in the URL never reach the message', t => {
	const error = t.throws(() => parseBaseUrl('http://admin:hunter2@127.0.0.1:5280/api'));
	t.false(`${error?.message} ${(error as ReloaderError).hint}`.includes('hunter2'));
});
