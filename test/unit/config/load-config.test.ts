import {execFile} from 'node:child_process';
import {mkdir, mkdtemp, rm, symlink, truncate, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {promisify} from 'node:util';
import test, {type ExecutionContext} from 'ava';
import {loadConfig, MAX_CONFIG_FILE_BYTES} from '../../../daemon/config/load-config.ts';
import {ReloaderError} from '../../../daemon/errors.ts';

let dir = '';
let counter = 0;

test.before(async () => {
	dir = await mkdtemp(join(tmpdir(), 'reloader-load-config-'));
});

test.after.always(async () => {
	await rm(dir, {recursive: true, force: true});
});

async function configFile(text: string): Promise<string> {
	const file = join(dir, `config-${counter++}.yml`);
	await writeFile(file, text);
	return file;
}

async function refusedConfig(t: ExecutionContext, text: string): Promise<ReloaderError> {
	return t.throwsAsync(loadConfig(await configFile(text)), {instanceOf: ReloaderError});
}

/** A YAML tag that does not give plain data is refused by name and key path, never listed as unknown keys. */
const refusesTag = test.macro({
	async exec(t: ExecutionContext, yaml: string, expected: string) {
		const error = await refusedConfig(t, yaml);
		t.is(error.code, 'ERR_CONFIG_INVALID');
		t.true(error.message.includes(`  - ${expected}`), error.message);
		t.notRegex(error.message, /unknown key|readBigUInt64|toJSON/);
	},
	title: (provided = '', yaml: string) => `refuses ${provided || JSON.stringify(yaml)}`,
});

test('!!binary', refusesTag, 'api:\n  token: !!binary c2VjcmV0c2VjcmV0c2VjcmV0', 'api.token: the YAML tag !!binary is not supported; write a plain string');
test('!!binary in its long form', refusesTag, 'node: !<tag:yaml.org,2002:binary> aGk=', 'node: the YAML tag !!binary is not supported; write a plain string');
test('!!timestamp', refusesTag, 'node: !!timestamp 2001-12-14', 'node: the YAML tag !!timestamp is not supported; write a plain string');
test('!!set', refusesTag, 'watch: !!set {/a, /b}', 'watch: the YAML tag !!set is not supported; write a plain list');
test('!!omap', refusesTag, 'log: !!omap [level: debug]', 'log: the YAML tag !!omap is not supported; write a plain mapping');
test('!!pairs', refusesTag, 'log: !!pairs [level: debug]', 'log: the YAML tag !!pairs is not supported; write a plain mapping');
test('a custom tag on a scalar', refusesTag, 'ctl:\n  command: [ejabberdctl, !shell rm]', 'ctl.command[1]: the YAML tag !shell is not supported; write the value without the tag');
test('a custom tag on a mapping', refusesTag, 'log: !custom {level: debug}', 'log: the YAML tag !custom is not supported; write a plain mapping');
test('a URI tag', refusesTag, 'node: !<tag:example.com,2026:thing> x', 'node: the YAML tag tag:example.com,2026:thing is not supported; write the value without the tag');
test('an unknown !! tag', refusesTag, 'node: !!js/function x', 'node: the YAML tag !!js/function is not supported; write the value without the tag');
test('!!merge', refusesTag, 'node: !!merge x', 'node: the YAML tag !!merge is not supported; write the value without the tag');
test('a scalar tag on a mapping', refusesTag, 'log: !!str {level: debug}', 'log: the YAML tag !!str is not supported; write a plain mapping');
test('a core tag that does not fit its value', refusesTag, 'debounceMs: !!int soon', 'debounceMs: the YAML tag !!int does not fit its value; write the value without the tag');
test('a tag on the whole document', refusesTag, '!!binary aGk=', '(top level): the YAML tag !!binary is not supported; write a plain string');
test('a key that is a list', refusesTag, '? [a, b]\n: 1', '(top level): a key that is a list or a mapping is not supported; write a plain string key');
test('a tag behind an anchor and its alias', refusesTag, 'node: &n !!binary aGk=\ncookieFile: *n', 'node: the YAML tag !!binary is not supported; write a plain string');

test('the plain core tags are fine where they fit', async t => {
	const config = await loadConfig(await configFile('node: !!str ejabberd@localhost\ndebounceMs: !!int 100\nloadNew: !!bool true\nwatch: !!seq [/opt/ebin]\nlog: !!map {level: debug}\n'));
	t.is(config.node, 'ejabberd@localhost');
	t.is(config.debounceMs, 100);
	t.true(config.loadNew);
	t.deepEqual(config.watch, ['/opt/ebin']);
	t.is(config.log.level, 'debug');
});

test('every tag problem is listed at once, and the value is never shown', async t => {
	const error = await refusedConfig(t, 'api:\n  token: !!binary c2VjcmV0c2VjcmV0c2VjcmV0\nwatch: !!set {/a}\n');
	t.regex(error.message, /\(2 problems\)/);
	t.regex(error.message, /api\.token: the YAML tag !!binary/);
	t.regex(error.message, /watch: the YAML tag !!set/);
	t.notRegex(error.message, /c2VjcmV0|secret/);
});

test('control characters in a key reach the message escaped', async t => {
	const error = await refusedConfig(t, '"evil\\e[31m\\u202e": !!binary aGk=\n');
	t.true(error.message.includes(String.raw`evil\x1b[31m\u{202e}: the YAML tag !!binary`), error.message);
	t.false(error.message.includes('\u001B') || error.message.includes('\u202E'));
});

test('a YAML syntax error names the line, with its control bytes escaped', async t => {
	const error = await refusedConfig(t, 'node: "unterminated\u001B[2J\n');
	t.is(error.code, 'ERR_CONFIG_INVALID');
	t.regex(error.message, /is not valid YAML/);
	t.true(error.message.includes(String.raw`unterminated\x1b[2J`), error.message);
	t.false(error.message.includes('\u001B'));
});

test('duplicate keys are a YAML error', async t => {
	const error = await refusedConfig(t, 'debounceMs: 1\ndebounceMs: 2\n');
	t.regex(error.message, /not valid YAML: .*unique/i);
});

test('an alias bomb is refused, not expanded', async t => {
	const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
	for (let level = 1; level < 10; level++) {
		lines.push(`${String.fromCharCode(97 + level)}: &${String.fromCharCode(97 + level)} [${Array.from({length: 10}, () => `*${String.fromCharCode(96 + level)}`).join(', ')}]`);
	}
	const error = await refusedConfig(t, `${lines.join('\n')}\n`);
	t.regex(error.message, /not valid YAML: .*alias/i);
});

test('reading the config emits no process warning (yaml\'s own warnings stay inside)', async t => {
	const warnings: Error[] = [];
	const onWarning = (warning: Error) => warnings.push(warning);
	process.on('warning', onWarning);
	t.teardown(() => process.off('warning', onWarning));
	await refusedConfig(t, '? [a]\n: 1\nnode: !unknown x\n');
	await new Promise(resolve => setImmediate(resolve));
	t.deepEqual(warnings, []);
});

/** Whatever --config names, loading it ends at once: refused by kind or size, never read unbounded. */
async function refusedFile(t: ExecutionContext, file: string): Promise<ReloaderError> {
	t.timeout(10_000, `loading ${file} must be refused at once, not hang`);
	const started = performance.now();
	const error = await t.throwsAsync(loadConfig(file), {instanceOf: ReloaderError});
	t.log(`refused in ${(performance.now() - started).toFixed(2)} ms: ${error.message}`);
	t.is(error.code, 'ERR_CONFIG_READ');
	return error;
}

test('a FIFO as --config is refused at once', async t => {
	const fifo = join(dir, 'config.fifo');
	await promisify(execFile)('mkfifo', [fifo]);
	const error = await refusedFile(t, fifo);
	t.is(error.message, `Cannot read config file ${fifo}: it is a FIFO, not a regular file`);
	t.regex(error.hint ?? '', /regular YAML file of at most 1048576 bytes \(1\.0 MiB\)/);
});

test('/dev/zero as --config is refused as a character device', async t => {
	const error = await refusedFile(t, '/dev/zero');
	t.is(error.message, 'Cannot read config file /dev/zero: it is a character device, not a regular file');
});

test('a directory as --config is refused', async t => {
	const directory = join(dir, 'config-dir');
	await mkdir(directory);
	const error = await refusedFile(t, directory);
	t.is(error.message, `Cannot read config file ${directory}: it is a directory, not a regular file`);
});

test('a config file over 1 MiB is refused by its size, unread', async t => {
	const file = join(dir, 'huge.yml');
	await writeFile(file, '');
	await truncate(file, 1024 ** 3);
	const before = process.memoryUsage.rss();
	const error = await refusedFile(t, file);
	t.log(`RSS grew by ${((process.memoryUsage.rss() - before) / 1024 ** 2).toFixed(2)} MB`);
	t.regex(error.message, /it holds 1073741824 bytes \(1\.0 GiB\), more than the 1048576 bytes \(1\.0 MiB\)/);
	t.true(process.memoryUsage.rss() - before < 64 * 1024 ** 2);
});

test('a config file of exactly the limit is read', async t => {
	const body = 'debounceMs: 100\n';
	const file = await configFile(body + '#'.repeat(MAX_CONFIG_FILE_BYTES - body.length - 1) + '\n');
	t.is((await loadConfig(file)).debounceMs, 100);
});

test('a symlink to a config file is read', async t => {
	const target = await configFile('debounceMs: 123\n');
	const link = join(dir, 'link.yml');
	await symlink(target, link);
	t.is((await loadConfig(link)).debounceMs, 123);
});

test('a missing config file still names its errno', async t => {
	const error = await t.throwsAsync(loadConfig(join(dir, 'absent.yml')), {instanceOf: ReloaderError});
	t.is(error.code, 'ERR_CONFIG_READ');
	t.regex(error.message, /absent\.yml: ENOENT$/);
});

test('an empty file is an empty config', async t => {
	t.is((await loadConfig(await configFile(''))).debounceMs, 300);
});

test('a list at the top level is refused', async t => {
	const error = await refusedConfig(t, '- a\n- b\n');
	t.regex(error.message, /must hold a mapping of keys .* got a list/);
});
