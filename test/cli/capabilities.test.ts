import {mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import test, {type ExecutionContext} from 'ava';
import {runCli} from '../support/cli.ts';

/** A config file with `lines`, removed when the test ends. */
async function configFile(t: ExecutionContext, lines: readonly string[]): Promise<string> {
	const dir = await mkdtemp(join(tmpdir(), 'reloader-capabilities-'));
	t.teardown(() => rm(dir, {recursive: true, force: true}));
	const file = join(dir, 'reloader.yml');
	await writeFile(file, `${lines.join('\n')}\n`);
	return file;
}

for (const transport of ['ctl', 'http'] as const) {
	for (const [option, line, expected] of [
		['purge', 'purge: soft', new RegExp(`purge: soft needs the dist transport \\(transport: ${transport} cannot see which processes run old code\\): set transport: dist with a readable cookieFile, or remove purge: soft`)],
		['loadNew', 'loadNew: true', new RegExp(`loadNew: true needs the dist transport \\(transport: ${transport} cannot .*\\): set transport: dist with a readable cookieFile, or remove loadNew: true`)],
	] as const) {
		test(`${line} with --transport ${transport} exits 2 naming the option, the transport and what to change`, async t => {
			const file = await configFile(t, [line, 'watch: [/tmp]']);
			const result = await runCli(['once', '--config', file, '--transport', transport]);
			t.is(result.code, 2, result.stderr);
			t.is(result.stdout, '');
			t.regex(result.stderr, /ERR_CONFIG_INVALID|Invalid configuration/);
			t.regex(result.stderr, expected);
			t.true(result.stderr.includes(option));
		});
	}
}

test('both at once over ctl: both listed in one refusal', async t => {
	const file = await configFile(t, ['purge: soft', 'loadNew: true', 'watch: [/tmp]']);
	const result = await runCli(['run', '--config', file, '--transport', 'ctl']);
	t.is(result.code, 2, result.stderr);
	t.regex(result.stderr, /2 problems/);
	t.regex(result.stderr, /purge: soft needs the dist transport[\s\S]*loadNew: true needs the dist transport/);
});
