import {chmod, mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import test from 'ava';
import {ReloaderError} from '../../../daemon/errors.ts';
import {readPasswordFile} from '../../../daemon/transports/http/password-file.ts';

const PASSWORD = 'correct horse battery staple';
let dir = '';

test.before(async () => {
	dir = await mkdtemp(join(tmpdir(), 'reloader-password-'));
});

test.after.always(async () => {
	await rm(dir, {recursive: true, force: true});
});

async function passwordFile(name: string, content: string, mode: number): Promise<string> {
	const file = join(dir, name);
	await writeFile(file, content);
	await chmod(file, mode);
	return file;
}

test('the trailing newline is not part of the password; spaces are', async t => {
	t.deepEqual(await readPasswordFile(await passwordFile('lf', `${PASSWORD}\n`, 0o600)), {password: PASSWORD, warnings: []});
	t.is((await readPasswordFile(await passwordFile('crlf', ` ${PASSWORD} \r\n`, 0o400))).password, ` ${PASSWORD} `);
});

test('a file open to group or others is read, with a warning naming the file and not the password', async t => {
	const file = await passwordFile('open', PASSWORD, 0o644);
	const {password, warnings} = await readPasswordFile(file);
	t.is(password, PASSWORD);
	t.is(warnings.length, 1);
	t.regex(warnings[0] ?? '', /is open to its group and others \(mode 644\).*chmod 600/);
	t.true(warnings[0]?.includes(file));
	t.false(warnings[0]?.includes(PASSWORD));
	t.regex((await readPasswordFile(await passwordFile('group', PASSWORD, 0o640))).warnings[0] ?? '', /open to its group \(mode 640\)/);
});

test('a missing file is ERR_CONFIG_READ naming the file', async t => {
	const file = join(dir, 'missing');
	const error = await t.throwsAsync(readPasswordFile(file), {instanceOf: ReloaderError});
	t.is(error?.code, 'ERR_CONFIG_READ');
	t.true(error?.message.includes(file));
	t.regex(error?.message ?? '', /ENOENT/);
	t.truthy(error?.hint);
});

test('a directory is ERR_CONFIG_READ', async t => {
	const error = await t.throwsAsync(readPasswordFile(dir), {instanceOf: ReloaderError});
	t.is(error?.code, 'ERR_CONFIG_READ');
});

test('an empty file (or only a newline) is ERR_CONFIG_INVALID', async t => {
	for (const content of ['', '\n', '\r\n\n']) {
		const file = await passwordFile('empty', content, 0o600);
		const error = await t.throwsAsync(readPasswordFile(file), {instanceOf: ReloaderError});
		t.is(error?.code, 'ERR_CONFIG_INVALID');
		t.regex(error?.message ?? '', /is empty/);
	}
});
