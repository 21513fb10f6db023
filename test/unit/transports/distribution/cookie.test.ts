import {chmod, mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir, userInfo} from 'node:os';
import {join} from 'node:path';
import test from 'ava';
import type {ExecutionContext} from 'ava';
import {defaultCookieFiles, findReadableCookieFile, readCookie} from '../../../../daemon/transports/distribution/cookie.ts';

async function cookieFile(t: ExecutionContext, content: string | undefined, mode = 0o400): Promise<string> {
	const dir = await mkdtemp(join(tmpdir(), 'reloader-cookie-'));
	t.teardown(() => rm(dir, {recursive: true, force: true}));
	const file = join(dir, '.erlang.cookie');
	if (content !== undefined) {
		await writeFile(file, content, {mode});
		await chmod(file, mode);
	}
	return file;
}

test('a cookie is read with its trailing whitespace trimmed; mode 400 gives no warning', async t => {
	const file = await cookieFile(t, 'ABCDEFGHIJ\n');
	t.deepEqual(await readCookie(file), {cookie: 'ABCDEFGHIJ', warnings: []});
});

test('mode 600 is fine too', async t => {
	t.deepEqual((await readCookie(await cookieFile(t, 'ABC', 0o600))).warnings, []);
});

for (const [mode, who] of [[0o440, 'its group'], [0o404, 'others'], [0o644, 'its group and others']] as const) {
	test(`a cookie file with mode ${mode.toString(8)} gives a warning with the chmod to run`, async t => {
		const file = await cookieFile(t, 'SECRETVALUE', mode);
		const {cookie, warnings} = await readCookie(file);
		t.is(cookie, 'SECRETVALUE');
		t.is(warnings.length, 1);
		t.true(warnings[0]?.includes(`${file} is open to ${who} (mode ${mode.toString(8)})`));
		t.true(warnings[0]?.includes(`Run \`chmod 400 ${file}\``));
		t.false(warnings[0]?.includes('SECRETVALUE'));
	});
}

test('a missing file: ERR_COOKIE naming the file, with a hint', async t => {
	const file = await cookieFile(t, undefined);
	const error = await t.throwsAsync(readCookie(file));
	t.like(error, {code: 'ERR_COOKIE', retryable: false});
	t.true(error?.message.startsWith(`Cannot read the Erlang cookie file ${file}: ENOENT`));
	t.regex((error as {hint?: string} | undefined)?.hint ?? '', /readable/);
});

for (const content of ['', ' \n\t\n']) {
	test(`an empty file (${JSON.stringify(content)}): ERR_COOKIE naming the file`, async t => {
		const file = await cookieFile(t, content);
		const error = await t.throwsAsync(readCookie(file), {code: 'ERR_COOKIE'});
		t.is(error?.message, `The Erlang cookie file ${file} is empty`);
	});
}

test('an unreadable file (a directory): ERR_COOKIE without the content', async t => {
	const file = await cookieFile(t, undefined);
	const error = await t.throwsAsync(readCookie(join(file, '..')), {code: 'ERR_COOKIE'});
	t.regex(error?.message ?? '', /is a directory/);
});

const someone = {uid: 1000, username: 'someone', home: '/home/someone'};

const defaultCases = [
	{title: 'anyone else: $HOME\'s, then ejabberd\'s', user: someone, expected: ['/home/someone/.erlang.cookie', '/var/lib/ejabberd/.erlang.cookie']},
	{title: 'HOME unset skips the home cookie', user: {...someone, home: undefined}, expected: ['/var/lib/ejabberd/.erlang.cookie']},
	{title: 'HOME empty skips the home cookie', user: {...someone, home: ''}, expected: ['/var/lib/ejabberd/.erlang.cookie']},
	{title: 'root: ejabberd\'s first, then /root\'s', user: {uid: 0, username: 'root', home: '/root'}, expected: ['/var/lib/ejabberd/.erlang.cookie', '/root/.erlang.cookie']},
	{title: 'uid 0 under another name is root too', user: {uid: 0, username: 'toor', home: '/root'}, expected: ['/var/lib/ejabberd/.erlang.cookie', '/root/.erlang.cookie']},
	{title: 'the ejabberd user: its own cookie once', user: {uid: 120, username: 'ejabberd', home: '/var/lib/ejabberd'}, expected: ['/var/lib/ejabberd/.erlang.cookie']},
	{title: 'the ejabberd user with another HOME: ejabberd\'s first', user: {uid: 120, username: 'ejabberd', home: '/home/ejabberd'}, expected: ['/var/lib/ejabberd/.erlang.cookie', '/home/ejabberd/.erlang.cookie']},
] as const;

for (const {title, user, expected} of defaultCases) {
	test(`default cookie files, ${title}`, t => {
		t.deepEqual(defaultCookieFiles(user), expected);
	});
}

test('default cookie files of this process: ejabberd\'s comes first exactly when running as root or ejabberd', t => {
	const files = defaultCookieFiles();
	const privileged = process.getuid?.() === 0 || userInfo().username === 'ejabberd';
	t.is(files[0] === '/var/lib/ejabberd/.erlang.cookie', privileged || files.length === 1);
});

test('findReadableCookieFile: the configured file even when unreadable, else the first readable default', async t => {
	const file = await cookieFile(t, 'X');
	t.is(await findReadableCookieFile('/nonexistent/cookie'), '/nonexistent/cookie');
	t.is(await findReadableCookieFile(undefined, {...someone, home: join(file, '..')}), file);
	const fallback = await findReadableCookieFile(undefined, {...someone, home: '/nonexistent'});
	t.true(fallback === undefined || fallback === '/var/lib/ejabberd/.erlang.cookie');
});
