import test from 'ava';
import {createBearerCheck, unauthorized} from '../../../daemon/api/bearer.ts';
import {serve, type ErrorAnswer} from './_fake-daemon.ts';

const TOKEN = 'a1b2c3d4e5f6a7b8c9d0e1f2';

test('the right token passes; the scheme is case-insensitive', t => {
	const check = createBearerCheck(TOKEN);
	t.is(check(`Bearer ${TOKEN}`), 'ok');
	t.is(check(`bearer ${TOKEN}`), 'ok');
	t.is(check(`Bearer  ${TOKEN} `), 'ok');
});

test('a wrong token, of the same or a different length, is wrong', t => {
	const check = createBearerCheck(TOKEN);
	t.is(check(`Bearer ${TOKEN.slice(0, -1)}x`), 'wrong');
	t.is(check(`Bearer ${TOKEN.slice(0, 5)}`), 'wrong');
	t.is(check(`Bearer ${TOKEN}${TOKEN}`), 'wrong');
	t.is(check(`Bearer ${TOKEN.toUpperCase()}`), 'wrong');
});

test('a missing or malformed header is told apart from a wrong token', t => {
	const check = createBearerCheck(TOKEN);
	t.is(check(undefined), 'missing');
	t.is(check(''), 'missing');
	t.is(check(TOKEN), 'malformed');
	t.is(check(`Basic ${TOKEN}`), 'malformed');
	t.is(check('Bearer'), 'malformed');
	t.is(check(`Bearer ${TOKEN} extra`), 'malformed');
});

test('the 401 asks for a bearer token and never repeats one', t => {
	for (const verdict of ['missing', 'malformed', 'wrong'] as const) {
		const error = unauthorized(verdict);
		t.is(error.status, 401);
		t.is(error.code, 'ERR_API_UNAUTHORIZED');
		t.regex(error.headers['WWW-Authenticate'] ?? '', /^Bearer/);
		t.regex(error.hint, /Authorization: Bearer <token>/);
	}
});

test('with a token, every endpoint answers 401 without it or with a wrong one, and 200 with it', async t => {
	const {url, daemon} = await serve(t, {access: {address: {host: '127.0.0.1', port: 0}, token: TOKEN}});
	for (const path of ['/healthz', '/status', '/update-modules/all', '/no-such-path']) {
		for (const headers of [{}, {Authorization: 'Bearer wrong-token-of-some-length'}, {Authorization: `Bearer ${TOKEN}x`}, {Authorization: TOKEN}] as Record<string, string>[]) {
			const response = await fetch(`${url}${path}`, {headers});
			t.is(response.status, 401, path);
			t.regex(response.headers.get('www-authenticate') ?? '', /^Bearer/);
			const text = await response.text();
			t.false(text.includes(TOKEN), 'the token never appears');
			t.is((JSON.parse(text) as ErrorAnswer).error.code, 'ERR_API_UNAUTHORIZED');
		}
	}
	t.deepEqual(daemon.calls, [], 'nothing reached the daemon');
	const ok = await fetch(`${url}/healthz`, {headers: {Authorization: `Bearer ${TOKEN}`}});
	t.is(ok.status, 200);
	t.deepEqual(await ok.json(), {ok: true});
});
