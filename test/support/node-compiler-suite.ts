import {copyFile, mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import type {TestFn} from 'ava';
import {judgeBeamContent} from '../../daemon/beam/beam-snapshot.ts';
import {resolveConfig} from '../../daemon/config/resolve-config.ts';
import {createModuleCompiler} from '../../daemon/service/create-compiler.ts';
import type {CompileOutcome, ModuleCompiler} from '../../daemon/sources/source-compiler.ts';
import {createTransport} from '../../daemon/transports/create-transport.ts';
import type {Transport} from '../../daemon/transports/transport.ts';
import {useSandboxNode, type TestNodeOptions} from './ejabberd.ts';

const FIXTURES = join('fixtures', 'sources');

/**
 * The node's own compiler against a real node: the compiler `compile.compiler:
 * auto` builds over dist, aimed at sources in the node's directory (mapped
 * with `paths` for a chrooted 24.12 node, which sees them at another path).
 * Every diagnostic's file must come back as this process sees it.
 */
export function defineNodeCompilerSuite(test: TestFn, nodeOptions: TestNodeOptions = {}): void {
	const getNode = useSandboxNode(test, nodeOptions);
	let transport: Transport | undefined;
	let compilers: {show: ModuleCompiler; fail: ModuleCompiler} | undefined;
	let srcDir = '';

	test.serial.before(async () => {
		const node = getNode();
		// The node's compiler itself, never auto's fallback to erlc.
		const dist = {transport: 'dist' as const, compile: {compiler: 'node' as const}, node: node.node, cookieFile: node.cookieFile, paths: node.root === undefined ? [] : [{local: node.dir, node: node.toNodePath(node.dir)}]};
		const config = resolveConfig(dist);
		transport = await createTransport(config, () => undefined);
		const init = await transport.ensureUpdaterLoaded();
		const context = {ejabberdEbin: () => node.ebinDir, ejabberdVersion: () => init.versions?.ejabberd, warn: () => undefined};
		compilers = {
			show: createModuleCompiler(config, transport, context),
			fail: createModuleCompiler(resolveConfig({...dist, compile: {compiler: 'node', warnings: 'fail'}}), transport, context),
		};
		// Inside the node's own directory, which its user can read (and, in the root, which `paths` maps).
		srcDir = join(node.sourcesDir, 'node-compiler');
		await mkdir(srcDir);
	});

	test.after.always(async () => {
		await transport?.close();
	});

	const compile = async (file: string, module: string, warnings: 'show' | 'fail' = 'show'): Promise<CompileOutcome> => {
		const compiler = compilers?.[warnings];
		if (compiler === undefined) {
			throw new Error('The compiler was not built: the before hook failed');
		}
		return compiler.compile({source: file, module, includeDirs: [], signal: new AbortController().signal});
	};

	const place = async (fixture: string, name = fixture.split('/').at(-1) ?? fixture): Promise<string> => {
		const path = join(srcDir, name);
		await copyFile(join(FIXTURES, fixture), path);
		return path;
	};

	test.serial('auto over dist is the node\'s compiler', t => {
		t.is(compilers?.show.name, `node's compiler (${getNode().node})`);
	});

	test.serial('a gen_mod module with logger.hrl, -include_lib xmpp.hrl and the ?SQL parse transform compiles with no warning', async t => {
		const source = await place('gen_mod_sql/mod_reloader_sql.erl');
		const started = performance.now();
		const outcome = await compile(source, 'mod_reloader_sql');
		t.log(`compiled on ${getNode().node} (ejabberd ${getNode().version}) in ${Math.round(performance.now() - started)} ms`);
		t.true(outcome.ok, JSON.stringify(outcome.diagnostics));
		t.deepEqual(outcome.diagnostics, []);
		const verdict = outcome.ok ? judgeBeamContent(source, {bytes: Buffer.from(outcome.beam), mtimeMs: 0}) : undefined;
		t.true(verdict?.state === 'complete' && verdict.snapshot.module === 'mod_reloader_sql', JSON.stringify(verdict));
	});

	test.serial('a syntax error is one error at file:line:col, the file as this process sees it', async t => {
		await mkdir(join(srcDir, 'broken'), {recursive: true});
		const source = await place('gen_mod_sql_syntax_error/mod_reloader_sql.erl', join('broken', 'mod_reloader_sql.erl'));
		const outcome = await compile(source, 'mod_reloader_sql');
		t.false(outcome.ok);
		t.deepEqual(outcome.diagnostics, [{file: source, line: 57, column: 75, severity: 'error', message: 'syntax error before: db_failure'}]);
	});

	test.serial('a warning comes with the beam; with warnings: fail it is an error and there is no beam', async t => {
		const source = await place('unused_variable/mod_reloader_unused.erl');
		const warning = {file: source, line: 8, column: 5, message: 'variable \'Unused\' is unused'};
		const shown = await compile(source, 'mod_reloader_unused');
		t.true(shown.ok);
		t.deepEqual(shown.diagnostics, [{...warning, severity: 'warning'}]);
		const failed = await compile(source, 'mod_reloader_unused', 'fail');
		t.false(failed.ok);
		t.deepEqual(failed.diagnostics, [{...warning, severity: 'error'}]);
	});

	test.serial('errors in a header point into the header; errors come before warnings', async t => {
		await place('erlc-output/samples/sample_bad.hrl');
		const source = await place('erlc-output/samples/mod_samples.erl');
		const outcome = await compile(source, 'mod_samples');
		t.false(outcome.ok);
		t.deepEqual(outcome.diagnostics.map(({file, line, severity}) => `${file === source ? 'mod_samples.erl' : file === join(srcDir, 'sample_bad.hrl') ? 'sample_bad.hrl' : file}:${line} ${severity}`), [
			'sample_bad.hrl:3 error', 'mod_samples.erl:7 error', 'mod_samples.erl:10 error', 'mod_samples.erl:15 error', 'mod_samples.erl:6 warning',
		]);
		t.is(outcome.diagnostics[2]?.message, 'field c undefined in record sample_rec');
	});

	test.serial('an -include_lib of an application the node does not have says how -include_lib resolves there', async t => {
		const source = join(srcDir, 'mod_no_lib.erl');
		await writeFile(source, '-module(mod_no_lib).\n-include_lib("nosuchapp/include/x.hrl").\n');
		const outcome = await compile(source, 'mod_no_lib');
		t.false(outcome.ok);
		t.like(outcome.diagnostics[0], {file: source, line: 2, column: 14, severity: 'error', message: 'can\'t find include lib "nosuchapp/include/x.hrl" (-include_lib resolves nosuchapp on the node\'s code path (code:lib_dir(nosuchapp)) or below an include directory)'});
	});

	test.serial('a source the node cannot see is an error saying where the node looked', async t => {
		// This process's private temporary directory: another path for a chrooted node, unreadable by the node's user for one on this host.
		const dir = await mkdtemp(join(tmpdir(), 'reloader-unseen-'));
		t.teardown(() => rm(dir, {recursive: true, force: true}));
		const source = join(dir, 'mod_unseen.erl');
		await writeFile(source, '-module(mod_unseen).\n');
		const outcome = await compile(source, 'mod_unseen');
		t.false(outcome.ok);
		t.is(outcome.diagnostics.length, 1);
		t.like(outcome.diagnostics[0], {file: source, severity: 'error'});
		t.regex(outcome.diagnostics[0]?.message ?? '', getNode().root === undefined
			? /^permission denied \(the node cannot read this source at ".*mod_unseen\.erl" \(eacces\): its user/
			: /^no such file or directory \(the node looked for this source at ".*mod_unseen\.erl": the node must see the sources directory, at the path `paths` maps it to/);
	});
}
