import type {IncomingHttpHeaders} from 'node:http';
import test from 'ava';
import type {ExecutionContext} from 'ava';
import {ApiError} from '../../../daemon/api/api-error.ts';
import {createSiteCheck} from '../../../daemon/api/site-check.ts';

const check = createSiteCheck({
	listenHost: '127.0.0.1',
	port: () => 5290,
	allowedHosts: ['reloader.internal', 'Proxy.Example:8443'],
	allowedOrigins: ['http://localhost:3000'],
});

const passes = test.macro({
	exec(t: ExecutionContext, headers: IncomingHttpHeaders) {
		t.notThrows(() => check(headers));
	},
	title: (_provided, headers: IncomingHttpHeaders) => `passes ${JSON.stringify(headers)}`,
});

const refuses = test.macro({
	exec(t: ExecutionContext, headers: IncomingHttpHeaders, status: number, code: string) {
		const error = t.throws(() => check(headers), {instanceOf: ApiError});
		t.is(error?.status, status);
		t.is(error?.code as string | undefined, code);
	},
	title: (_provided, headers: IncomingHttpHeaders, status: number) => `refuses ${JSON.stringify(headers)} with ${status}`,
});

// curl, scripts, the tail command: our address, no browser headers.
test(passes, {host: '127.0.0.1:5290'});
test(passes, {host: 'localhost:5290'});
test(passes, {host: 'LOCALHOST:5290'});
test(passes, {host: '[::1]:5290'});
test(passes, {host: '127.0.0.2:5290'});
test(passes, {});
test(passes, {host: 'reloader.internal'});
test(passes, {host: 'reloader.internal:9999'});
test(passes, {host: 'proxy.example:8443'});
// A page served from our own address, and the one allowed origin.
test(passes, {host: '127.0.0.1:5290', origin: 'http://127.0.0.1:5290', 'sec-fetch-site': 'same-origin'});
test(passes, {host: 'localhost:5290', referer: 'http://localhost:5290/somewhere'});
test(passes, {host: '127.0.0.1:5290', origin: 'http://localhost:3000', 'sec-fetch-site': 'same-site'});
test(passes, {host: '127.0.0.1:5290', referer: 'http://localhost:3000/app', 'sec-fetch-site': 'cross-site'});
test(passes, {host: '127.0.0.1:5290', 'sec-fetch-site': 'none'});

// DNS rebinding: a foreign name, or ours on another port.
test(refuses, {host: 'attacker.example'}, 421, 'ERR_API_HOST');
test(refuses, {host: 'attacker.example:5290'}, 421, 'ERR_API_HOST');
test(refuses, {host: 'localhost'}, 421, 'ERR_API_HOST');
test(refuses, {host: '127.0.0.1:80'}, 421, 'ERR_API_HOST');
test(refuses, {host: '10.0.0.1:5290'}, 421, 'ERR_API_HOST');
test(refuses, {host: 'proxy.example:8080'}, 421, 'ERR_API_HOST');
test(refuses, {host: 'localhost.attacker.example:5290'}, 421, 'ERR_API_HOST');
// Pages of other sites: a form, a fetch, an EventSource, an <img> in old and new browsers.
test(refuses, {host: '127.0.0.1:5290', origin: 'https://attacker.example'}, 403, 'ERR_API_CROSS_SITE');
test(refuses, {host: '127.0.0.1:5290', origin: 'null'}, 403, 'ERR_API_CROSS_SITE');
test(refuses, {host: '127.0.0.1:5290', origin: 'http://localhost:5290'}, 403, 'ERR_API_CROSS_SITE');
test(refuses, {host: '127.0.0.1:5290', origin: 'http://127.0.0.1:8080'}, 403, 'ERR_API_CROSS_SITE');
test(refuses, {host: '127.0.0.1:5290', 'sec-fetch-site': 'cross-site'}, 403, 'ERR_API_CROSS_SITE');
test(refuses, {host: '127.0.0.1:5290', 'sec-fetch-site': 'same-site'}, 403, 'ERR_API_CROSS_SITE');
test(refuses, {host: '127.0.0.1:5290', origin: 'http://127.0.0.1:5290', 'sec-fetch-site': 'cross-site'}, 403, 'ERR_API_CROSS_SITE');
test(refuses, {host: '127.0.0.1:5290', referer: 'https://attacker.example/page'}, 403, 'ERR_API_CROSS_SITE');
test(refuses, {host: '127.0.0.1:5290', referer: 'not a url'}, 403, 'ERR_API_CROSS_SITE');

test('the refusals say what came from where and what to do', t => {
	const host = t.throws(() => check({host: 'attacker.example'}), {instanceOf: ApiError});
	t.regex(host?.message ?? '', /"attacker\.example"/);
	t.regex(host?.hint ?? '', /api\.allowedHosts/);
	const site = t.throws(() => check({host: '127.0.0.1:5290', referer: 'https://attacker.example/secret?path'}), {instanceOf: ApiError});
	t.regex(site?.message ?? '', /a Referer of "https:\/\/attacker\.example"/);
	t.notRegex(site?.message ?? '', /secret/);
	t.regex(site?.hint ?? '', /api\.allowedOrigins/);
});

test('an IPv6 listen address and the bound port asked for each time (port 0 in api.listen)', t => {
	let port = 0;
	const v6 = createSiteCheck({listenHost: '::1', port: () => port, allowedHosts: [], allowedOrigins: []});
	port = 40_000;
	t.notThrows(() => v6({host: '[::1]:40000', origin: 'http://[::1]:40000'}));
	t.throws(() => v6({host: '[::1]:5290'}), {instanceOf: ApiError});
});
