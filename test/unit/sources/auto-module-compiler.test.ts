import test from 'ava';
import {AutoModuleCompiler, type NodeCompiler} from '../../../daemon/sources/auto-module-compiler.ts';
import type {CompileOutcome, CompileRequest, ModuleCompiler} from '../../../daemon/sources/source-compiler.ts';

const request = (module: string): CompileRequest => ({source: `/src/${module}.erl`, module, includeDirs: [], signal: new AbortController().signal});
const failed: CompileOutcome = {ok: false, diagnostics: [{file: '/src/m.erl', line: 2, column: 2, severity: 'error', message: 'can\'t find include lib "xmpp/include/xmpp.hrl"'}]};
const compiled: CompileOutcome = {ok: true, beam: new Uint8Array([1]), diagnostics: []};

/** A compiler that answers from a list and counts its calls. */
function fake(name: string, answers: (module: string) => CompileOutcome, cannotServe?: () => string | undefined): NodeCompiler & {calls: string[]} {
	const calls: string[] = [];
	return {
		name,
		calls,
		get cannotServe() {
			return cannotServe?.();
		},
		async compile({module}) {
			calls.push(module);
			return answers(module);
		},
		async close() {
			// Nothing to remove.
		},
	};
}

test('the node compiles while it can; a failure of the source itself stays the node\'s', async t => {
	const node = fake('node', module => module === 'bad' ? failed : compiled);
	const erlc: ModuleCompiler = fake('erlc', () => compiled);
	const warnings: string[] = [];
	const auto = new AutoModuleCompiler(node, erlc, message => warnings.push(message));
	t.true((await auto.compile(request('good'))).ok);
	t.false((await auto.compile(request('bad'))).ok);
	t.is(auto.name, 'node');
	t.deepEqual(node.calls, ['good', 'bad']);
	t.deepEqual(warnings, []);
});

test('a node that has xmpp only as p1_xmpp: that module is compiled again by erlc, erlc compiles from then on, and it is said once', async t => {
	let unnamed: string | undefined;
	const node = fake('node', () => {
		unnamed = 'the node has xmpp only under another name';
		return failed;
	}, () => unnamed);
	const erlc = fake('erlc', () => compiled);
	const warnings: string[] = [];
	const auto = new AutoModuleCompiler(node, erlc, message => warnings.push(message));
	t.true((await auto.compile(request('mod_a'))).ok);
	t.true((await auto.compile(request('mod_b'))).ok);
	t.deepEqual(node.calls, ['mod_a']);
	t.deepEqual(erlc.calls, ['mod_a', 'mod_b']);
	t.is(auto.name, 'erlc');
	t.is(warnings.length, 1);
	t.regex(warnings[0] ?? '', /compiling with this host's erlc from now on: the node has xmpp only under another name/);
});
