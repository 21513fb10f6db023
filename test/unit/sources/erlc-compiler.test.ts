import {chmod, copyFile, mkdir, mkdtemp, readdir, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import * as path from 'node:path';
import anyTest, {type TestFn} from 'ava';
import {readBeamChunks} from '../../../daemon/beam/beam-chunks.ts';
import {beamCodeMd5} from '../../../daemon/beam/code-md5.ts';
import {findEjabberdInstall} from '../../../daemon/ejabberd/ejabberd-install.ts';
import {ReloaderError} from '../../../daemon/errors.ts';
import {formatDiagnostic} from '../../../daemon/sources/compile-diagnostics.ts';
import type {CompileEnvironment} from '../../../daemon/sources/compile-options.ts';
import {compileWithErlc, type CompileResult} from '../../../daemon/sources/erlc-compiler.ts';
import {prepareLibraryAliases} from '../../../daemon/sources/library-aliases.ts';
import {isGone, readPids, writeHangingErlc} from './_fake-erlc.ts';

/**
 * The real erlc (OTP 25) against the host's ejabberd 23.01, as save to live
 * runs it. Every temporary directory the compiler makes goes under this
 * file's own TMPDIR, so a test can see that none is left behind.
 */
const test = anyTest as TestFn<{env: CompileEnvironment; scratch: string}>;

const FIXTURES = path.join(import.meta.dirname, '../../../fixtures/sources');
const GEN_MOD_SQL = path.join(FIXTURES, 'gen_mod_sql/mod_reloader_sql.erl');
const SYNTAX_ERROR = path.join(FIXTURES, 'gen_mod_sql_syntax_error/mod_reloader_sql.erl');
const UNUSED_VARIABLE = path.join(FIXTURES, 'unused_variable/mod_reloader_unused.erl');
const TIMEOUT_MS = 60_000;

const scratch = await mkdtemp(path.join(tmpdir(), 'reloader-erlc-compiler-test-'));
const compilerTmp = path.join(scratch, 'tmp');
await mkdir(compilerTmp);
process.env.TMPDIR = compilerTmp;

test.before(async t => {
	const install = await findEjabberdInstall();
	const aliasDir = path.join(scratch, 'aliases');
	await prepareLibraryAliases('/usr/lib/erlang/lib', aliasDir);
	t.context = {
		scratch,
		env: {ejabberdVersion: install.version, ejabberdEbin: install.ebinDir, ejabberdInclude: path.join(install.libDir, 'include'), aliasDir},
	};
});
test.after.always(async () => {
	await rm(scratch, {recursive: true, force: true});
});

function describe(result: CompileResult): string {
	return result.diagnostics.map(formatDiagnostic).join('\n');
}

test.serial('the gen_mod module (behaviour, logger.hrl, xmpp.hrl by include_lib, ?SQL) compiles with no warning, and no temporary directory is left', async t => {
	const result = await compileWithErlc({source: GEN_MOD_SQL, env: t.context.env, timeoutMs: TIMEOUT_MS});
	t.true(result.ok, describe(result));
	// Would say `behaviour gen_mod undefined` without -pa, `undefined parse transform 'ejabberd_sql_pt'`, or `can't find include lib` without the aliases.
	t.deepEqual(result.diagnostics, []);
	if (result.ok) {
		t.is(result.module, 'mod_reloader_sql');
		t.is(result.beam.subarray(0, 4).toString('latin1'), 'FOR1');
		t.true(readBeamChunks(result.beam).has('Dbgi'), 'debug_info, as ext_mod compiles');
	}
	t.true(result.durationMs > 0);
	t.deepEqual(await readdir(compilerTmp), []);
});

test.serial('a failed compile leaves no temporary directory either', async t => {
	const result = await compileWithErlc({source: SYNTAX_ERROR, env: t.context.env, timeoutMs: TIMEOUT_MS});
	t.false(result.ok);
	t.deepEqual(await readdir(compilerTmp), []);
});

test('the same source compiles to the same code (the MD5 the node reports), whatever temporary directory it went through', async t => {
	const [first, second] = await Promise.all([1, 2].map(async () => compileWithErlc({source: GEN_MOD_SQL, env: t.context.env, timeoutMs: TIMEOUT_MS})));
	t.true(first?.ok === true && second?.ok === true);
	if (first?.ok === true && second?.ok === true) {
		t.is(beamCodeMd5(readBeamChunks(first.beam)), beamCodeMd5(readBeamChunks(second.beam)));
	}
});

test('a syntax error: ok false, one error, at its file:line:col', async t => {
	const result = await compileWithErlc({source: SYNTAX_ERROR, env: t.context.env, timeoutMs: TIMEOUT_MS});
	t.false(result.ok);
	t.deepEqual(result.diagnostics.map(formatDiagnostic), [`${SYNTAX_ERROR}:57:75: syntax error before: db_failure`]);
	t.deepEqual(result.diagnostics[0]?.excerpt?.[1], `%     | ${' '.repeat(74)}^`);
});

test('an unused variable: ok true, the beam, and the warning', async t => {
	const result = await compileWithErlc({source: UNUSED_VARIABLE, env: t.context.env, timeoutMs: TIMEOUT_MS});
	t.true(result.ok, describe(result));
	t.is(result.ok ? result.module : undefined, 'mod_reloader_unused');
	t.deepEqual(result.diagnostics.map(formatDiagnostic), [`${UNUSED_VARIABLE}:8:5: warning: variable 'Unused' is unused`]);
});

test('an unused variable with warningsAsErrors: ok false, the warning now an error', async t => {
	const result = await compileWithErlc({source: UNUSED_VARIABLE, env: {...t.context.env, warningsAsErrors: true}, timeoutMs: TIMEOUT_MS});
	t.false(result.ok);
	t.deepEqual(result.diagnostics.map(formatDiagnostic), [`${UNUSED_VARIABLE}:8:5: variable 'Unused' is unused`]);
});

test('a relative source path is compiled as the absolute one', async t => {
	const result = await compileWithErlc({source: path.relative(process.cwd(), UNUSED_VARIABLE), env: t.context.env, timeoutMs: TIMEOUT_MS});
	t.deepEqual(result.diagnostics.map(diagnostic => diagnostic.file), [UNUSED_VARIABLE]);
});

test('a module\'s own include directory is searched', async t => {
	const dir = path.join(t.context.scratch, 'own-include');
	await mkdir(path.join(dir, 'src'), {recursive: true});
	await mkdir(path.join(dir, 'include'), {recursive: true});
	await writeFile(path.join(dir, 'include', 'own.hrl'), '-define(OWN, own).\n');
	await writeFile(path.join(dir, 'src', 'mod_own.erl'), '-module(mod_own).\n-export([f/0]).\n-include("own.hrl").\nf() -> ?OWN.\n');
	const without = await compileWithErlc({source: path.join(dir, 'src', 'mod_own.erl'), env: t.context.env, timeoutMs: TIMEOUT_MS});
	t.false(without.ok);
	t.regex(describe(without), /can't find include file "own\.hrl"/);
	const withInclude = await compileWithErlc({source: path.join(dir, 'src', 'mod_own.erl'), env: t.context.env, includeDirs: [path.join(dir, 'include')], moduleDir: dir, timeoutMs: TIMEOUT_MS});
	t.true(withInclude.ok, describe(withInclude));
});

test('a missing source is a failed compile, not an error', async t => {
	const result = await compileWithErlc({source: path.join(t.context.scratch, 'mod_absent.erl'), env: t.context.env, timeoutMs: TIMEOUT_MS});
	t.false(result.ok);
	t.is(result.diagnostics.filter(diagnostic => diagnostic.severity === 'error').length, 1);
});

test('a module whose name is not its file\'s: ok false', async t => {
	const copy = path.join(t.context.scratch, 'mod_renamed.erl');
	await copyFile(UNUSED_VARIABLE, copy);
	const result = await compileWithErlc({source: copy, env: t.context.env, timeoutMs: TIMEOUT_MS});
	t.false(result.ok);
	t.regex(describe(result), /Module name 'mod_reloader_unused' does not match file name 'mod_renamed'/);
});

test('no erlc at the configured path: ERR_COMPILER_MISSING naming it and erlang-base', async t => {
	const erlc = path.join(t.context.scratch, 'no-otp', 'bin', 'erlc');
	const error = await t.throwsAsync(compileWithErlc({source: GEN_MOD_SQL, env: {...t.context.env, erlc}, timeoutMs: TIMEOUT_MS}), {instanceOf: ReloaderError});
	t.is(error?.code, 'ERR_COMPILER_MISSING');
	t.true(error?.message.includes(JSON.stringify(erlc)));
	t.regex(error?.hint ?? '', /erlang-base/);
});

test('a timeout kills erlc (a fake that hangs) and says so', async t => {
	const dir = path.join(t.context.scratch, 'hanging');
	await mkdir(dir);
	const {erlc, pids} = await writeHangingErlc(dir);
	const error = await t.throwsAsync(compileWithErlc({source: GEN_MOD_SQL, env: {...t.context.env, erlc}, timeoutMs: 300}), {instanceOf: ReloaderError});
	t.is(error?.code, 'ERR_COMPILE_TIMEOUT');
	t.regex(error?.message ?? '', /mod_reloader_sql\.erl" did not finish within 300 ms and was killed/);
	for (const pid of await readPids(pids)) {
		t.true(await isGone(pid), `process ${pid} still runs`);
	}
});

test('erlc\'s flood of output is cut and says how much was left out', async t => {
	const dir = path.join(t.context.scratch, 'flood');
	await mkdir(dir);
	const erlc = path.join(dir, 'erlc');
	// 5000 errors, about 230 kB: 100 kB of it read, 50 diagnostics of that kept.
	await writeFile(erlc, `#!/bin/sh\ni=0\nwhile [ $i -lt 5000 ]; do i=$((i+1)); echo "/src/m.erl:$i:1: syntax error before: x"; done\nexit 1\n`);
	await chmod(erlc, 0o755);
	const result = await compileWithErlc({source: GEN_MOD_SQL, env: {...t.context.env, erlc}, timeoutMs: TIMEOUT_MS, maxOutputBytes: 100_000});
	t.false(result.ok);
	t.is(result.diagnostics.length, 51);
	const summary = result.diagnostics.at(-1);
	t.is(summary?.file, GEN_MOD_SQL);
	t.regex(summary?.message ?? '', /^\d+ errors more left out \(only the first ones are kept\); erlc printed \d+ bytes more than the 100000 read$/);
});

test('erlc failing without a diagnostic: its exit and what it printed', async t => {
	const dir = path.join(t.context.scratch, 'crashing');
	await mkdir(dir);
	const erlc = path.join(dir, 'erlc');
	await writeFile(erlc, '#!/bin/sh\necho "init terminating in do_boot ()"\nexit 1\n');
	await chmod(erlc, 0o755);
	const result = await compileWithErlc({source: GEN_MOD_SQL, env: {...t.context.env, erlc}, timeoutMs: TIMEOUT_MS});
	t.false(result.ok);
	t.deepEqual(result.diagnostics, [{file: GEN_MOD_SQL, severity: 'error', message: 'erlc exited with code 1: init terminating in do_boot ()'}]);
});
