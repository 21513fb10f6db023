import test from 'ava';
import {serve} from './_fake-daemon.ts';
import {rawRequest} from './_http.ts';

const JSON_HEADERS = {'Content-Type': 'application/json'};

test('a foreign Host (DNS rebinding) is 421 ERR_API_HOST on every endpoint, and runs nothing', async t => {
	const {url, daemon} = await serve(t);
	for (const path of ['/update-modules/all', '/update-modules', '/status', '/healthz', '/events']) {
		const answer = await rawRequest(url, path, {headers: {Host: 'attacker.example'}});
		t.is(answer.status, 421, path);
		t.is(answer.json.error?.code, 'ERR_API_HOST');
	}
	const posted = await rawRequest(url, '/update-modules', {method: 'POST', headers: {Host: `attacker.example:${new URL(url).port}`, ...JSON_HEADERS}, body: '["mod_a"]'});
	t.is(posted.status, 421);
	t.deepEqual(daemon.calls, []);
});

test('a cross-site text/plain POST (a form, a no-cors fetch) is refused and runs nothing', async t => {
	const {url, daemon} = await serve(t);
	const port = new URL(url).port;
	const crossSite = {Host: `127.0.0.1:${port}`, Origin: 'https://attacker.example', 'Sec-Fetch-Site': 'cross-site', 'Content-Type': 'text/plain;charset=UTF-8'};
	for (const path of ['/update-modules', '/update-modules/all']) {
		const answer = await rawRequest(url, path, {method: 'POST', headers: crossSite, body: '["mod_a"]'});
		t.is(answer.status, 403, path);
		t.is(answer.json.error?.code, 'ERR_API_CROSS_SITE');
	}
	// Without Origin and Sec-Fetch-Site (an old browser): the type alone refuses it.
	const plain = await rawRequest(url, '/update-modules', {method: 'POST', headers: {'Content-Type': 'text/plain'}, body: '["mod_a"]'});
	t.is(plain.status, 415);
	t.is(plain.json.error?.code, 'ERR_API_CONTENT_TYPE');
	t.is(plain.headers.connection, 'close');
	const form = await rawRequest(url, '/update-modules/all', {method: 'POST', headers: {'Content-Type': 'application/x-www-form-urlencoded'}, body: 'a=b'});
	t.is(form.status, 415);
	const none = await rawRequest(url, '/update-modules/all', {method: 'POST'});
	t.is(none.status, 415);
	t.deepEqual(daemon.calls, []);
});

test('a cross-site GET of /update-modules/all (an <img>, a link) is 403 in new and old browsers, and runs nothing', async t => {
	const {url, daemon} = await serve(t);
	for (const headers of [{'Sec-Fetch-Site': 'cross-site'}, {'Sec-Fetch-Site': 'same-site'}, {Referer: 'https://attacker.example/'}, {Origin: 'https://attacker.example'}, {Origin: 'null'}] as Record<string, string>[]) {
		const answer = await rawRequest(url, '/update-modules/all', {headers});
		t.is(answer.status, 403, JSON.stringify(headers));
		t.is(answer.json.error?.code, 'ERR_API_CROSS_SITE');
	}
	const stream = await rawRequest(url, '/events', {headers: {Origin: 'https://attacker.example'}});
	t.is(stream.status, 403, 'an EventSource of another site cannot read the records');
	t.deepEqual(daemon.calls, []);
});

test('curl-like requests, same-origin requests and an allowed origin still work', async t => {
	const {url, daemon} = await serve(t, {access: {address: {host: '127.0.0.1', port: 0}, token: undefined, allowedOrigins: ['http://localhost:3000'], allowedHosts: ['reloader.internal']}});
	const port = new URL(url).port;
	t.is((await rawRequest(url, '/update-modules/all')).status, 200);
	t.is((await rawRequest(url, '/update-modules/all', {method: 'POST', headers: JSON_HEADERS})).status, 200, 'an empty body with the JSON type');
	t.is((await rawRequest(url, '/update-modules/all', {method: 'POST', headers: {'Content-Type': 'application/json; charset=utf-8'}, body: '{}'})).status, 200);
	t.is((await rawRequest(url, '/update-modules', {method: 'POST', headers: JSON_HEADERS, body: '["mod_a"]'})).status, 200);
	t.is((await rawRequest(url, '/update-modules', {method: 'POST', headers: {...JSON_HEADERS, Host: `localhost:${port}`, Origin: `http://localhost:${port}`, 'Sec-Fetch-Site': 'same-origin'}, body: '["mod_b"]'})).status, 200);
	t.is((await rawRequest(url, '/update-modules/all', {headers: {Origin: 'http://localhost:3000', 'Sec-Fetch-Site': 'same-site'}})).status, 200);
	t.is((await rawRequest(url, '/healthz', {headers: {Host: 'reloader.internal'}})).status, 200);
	t.is((await fetch(`${url}/status`)).status, 200);
	t.is(daemon.calls.length, 6);
});

test('JSON nested 30,000 deep, and other pathological bodies, are 400 with a stable code, never 500', async t => {
	const {url, daemon} = await serve(t);
	const cases = [
		['['.repeat(30_000) + ']'.repeat(30_000), 'ERR_API_JSON_DEPTH'],
		[`{"modules": ${'['.repeat(30_000)}${']'.repeat(30_000)}}`, 'ERR_API_JSON_DEPTH'],
		['['.repeat(60_000), 'ERR_API_JSON_DEPTH'],
		[`[${Array.from({length: 8000}, () => '[[]]').join(',')}]`, 'ERR_MODULE_NAME'],
		[`["${'a'.repeat(60_000)}"]`, 'ERR_MODULE_NAME'],
		['{"__proto__": ["mod_a"]}', 'ERR_API_BODY_SHAPE'],
		['{"modules": ["mod_a"], "modules": {"x": 1}}', 'ERR_MODULE_NAME'],
		['\uFEFF["mod_a"]', 'ERR_API_JSON'],
		['[1e999999, -0, null, true]', 'ERR_MODULE_NAME'],
		['\u0000', 'ERR_API_JSON'],
	] as const;
	for (const [body, code] of cases) {
		const answer = await rawRequest(url, '/update-modules', {method: 'POST', headers: JSON_HEADERS, body});
		t.is(answer.status, 400, body.slice(0, 40));
		t.is(answer.json.error?.code, code, body.slice(0, 40));
		t.true(answer.body.length < 2000, 'the answer does not echo the body');
	}
	t.deepEqual(daemon.calls, []);
});
