import {chmod, mkdtemp, readdir, readFile, rm, stat, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import test from 'ava';
import {sourceFileOf} from '../../../daemon/sources/source-files.ts';
import {type EditorName, editorSaves, gitCheckout} from '../../support/editor-saves.ts';

const isSource = test.macro({
	exec: (t, path: string, expected: ReturnType<typeof sourceFileOf>) => t.deepEqual(sourceFileOf(path), expected),
	title: (_, path) => `${path} is a source`,
});
const isNotSource = test.macro({
	exec: (t, path: string) => t.is(sourceFileOf(path), undefined),
	title: (_, path: string) => `${JSON.stringify(path.length > 40 ? `${path.slice(0, 37)}...` : path)} is no source`,
});

test(isSource, '/src/mod_a.erl', {kind: 'module', module: 'mod_a'});
test(isSource, 'ejabberd_c2s.erl', {kind: 'module', module: 'ejabberd_c2s'});
test(isSource, '/src/ELDAPv3.erl', {kind: 'module', module: 'ELDAPv3'});
test(isSource, '/include/logger.hrl', {kind: 'header'});
test(isSource, '/usr/lib/p1_xmpp-1.6.1/include/xmpp_codec.hrl', {kind: 'header'});

/** Every editor's and tool's temporary and backup names beside `mod_a.erl`, by who writes them. */
const TEMPORARY_NAMES: Readonly<Record<string, readonly string[]>> = {
	vim: ['4913', '5036', '123456', '.mod_a.erl.swp', '.mod_a.erl.swo', '.mod_a.erl.swx', '.mod_a.erl.swpx', 'mod_a.erl.swp', 'mod_a.erl~'],
	emacs: ['.#mod_a.erl', '#mod_a.erl#', 'mod_a.erl~', 'mod_a.erl.~1~', 'mod_a.erl.~12~'],
	jetbrains: ['mod_a.erl___jb_tmp___', 'mod_a.erl___jb_old___', 'mod_a.erl___jb_bak___'],
	atomic: ['.mod_a.erl.tmp', 'mod_a.erl.tmp', 'mod_a.erl.tmp.123', '.mod_a.erl.3f9a21c0.tmp', '.mod_a.erl.XXab12', 'mod_a.erl.vsctmp', '.goutputstream-ABC123'],
	sed: ['sedAbC123', 'sed0a9ZzQ'],
	git: ['.mod_a.erl.orig', 'mod_a.erl.orig', 'mod_a.erl.rej', 'index.lock', 'mod_a_BASE_12345.erl', 'mod_a_LOCAL_12345.erl', 'mod_a_REMOTE_12345.erl', 'mod_a_BACKUP_12345.erl', 'logger_BASE_77.hrl'],
	other: ['.mod_a.erl.kate-swp', 'mod_a.erl.bak', 'mod_a.erl.save', 'mod_a.erl.save.1', '.erl', '.hrl', '.mod_a.erl', '.logger.hrl'],
};
for (const [writer, names] of Object.entries(TEMPORARY_NAMES)) {
	for (const name of names) {
		test(`${writer}: ${name} is no source`, t => t.is(sourceFileOf(join('/src', name)), undefined));
	}
}

for (const path of ['/src/mod-a.erl', '/src/_mod.erl', '/src/1mod.erl', '/src/mod a.erl', '/src/mod_a.ERL', '/src/mod_a.beam', '/src/Makefile', `/src/${'a'.repeat(256)}.erl`, '/src/déjà.erl', '']) {
	test(isNotSource, path);
}

test('a hostile name is no source, and no pattern backtracks on it', t => {
	t.timeout(60_000, 'a catastrophic pattern would take forever here');
	t.is(sourceFileOf(`/src/#${'.tmp'.repeat(500_000)}_BASE_1`), undefined);
	t.is(sourceFileOf(`/src/${'_BASE_1'.repeat(500_000)}.erl`), undefined);
});

/** What each replay touches beside `mod_a.erl`, in order. */
const EXPECTED_NAMES: Readonly<Record<EditorName, readonly (string | RegExp)[]>> = {
	vim: ['.mod_a.erl.swp', '4913', 'mod_a.erl~', 'mod_a.erl'],
	vimBackupcopyYes: ['.mod_a.erl.swp', 'mod_a.erl~', 'mod_a.erl'],
	emacs: ['.#mod_a.erl', '#mod_a.erl#', 'mod_a.erl~', 'mod_a.erl'],
	jetbrains: ['mod_a.erl___jb_tmp___', 'mod_a.erl___jb_old___', 'mod_a.erl'],
	vscode: [/^\.mod_a\.erl\.[\da-f]{8}\.tmp$/, 'mod_a.erl'],
	sedInPlace: [/^sed[A-Za-z\d]{6}$/, 'mod_a.erl'],
	inPlace: ['mod_a.erl'],
};

for (const [editor, save] of Object.entries(editorSaves) as [EditorName, typeof editorSaves[EditorName]][]) {
	test(`${editor}: every name its save touches is no source but the saved module, which ends up holding the new text with its mode`, async t => {
		const dir = await mkdtemp(join(tmpdir(), 'reloader-editor-save-'));
		t.teardown(async () => rm(dir, {recursive: true, force: true}));
		const path = join(dir, 'mod_a.erl');
		await writeFile(path, '-module(mod_a).\n');
		await chmod(path, 0o640);
		const names: string[] = [];
		await save(path, '-module(mod_a).\n-export([f/0]).\nf() -> ok.\n', name => names.push(name));

		const expected = EXPECTED_NAMES[editor];
		t.is(names.length, expected.length, names.join(' '));
		names.forEach((name, index) => {
			const wanted = expected[index];
			t.true(typeof wanted === 'string' ? name === wanted : wanted?.test(name), `${name} is not ${String(wanted)}`);
		});
		for (const name of names) {
			t.deepEqual(sourceFileOf(join(dir, name)), name === 'mod_a.erl' ? {kind: 'module', module: 'mod_a'} : undefined, name);
		}
		t.is(await readFile(path, 'utf8'), '-module(mod_a).\n-export([f/0]).\nf() -> ok.\n');
		t.is((await stat(path)).mode & 0o777, 0o640);
		// emacs keeps its backup; every other editor cleans up after itself.
		t.deepEqual((await readdir(dir)).sort(), editor === 'emacs' ? ['mod_a.erl', 'mod_a.erl~'] : ['mod_a.erl']);
	});
}

test('gitCheckout replaces each file in name order, and each is a source', async t => {
	const dir = await mkdtemp(join(tmpdir(), 'reloader-git-checkout-'));
	t.teardown(async () => rm(dir, {recursive: true, force: true}));
	await writeFile(join(dir, 'mod_b.erl'), 'old');
	const names: string[] = [];
	await gitCheckout(dir, {'mod_b.erl': '-module(mod_b).\n', 'mod_a.erl': '-module(mod_a).\n', 'ns.hrl': '-define(NS, 1).\n'}, name => names.push(name));
	t.deepEqual(names, ['mod_a.erl', 'mod_b.erl', 'ns.hrl']);
	t.deepEqual(names.map(name => sourceFileOf(join(dir, name))), [{kind: 'module', module: 'mod_a'}, {kind: 'module', module: 'mod_b'}, {kind: 'header'}]);
	t.is(await readFile(join(dir, 'mod_b.erl'), 'utf8'), '-module(mod_b).\n');
	t.deepEqual((await readdir(dir)).sort(), ['mod_a.erl', 'mod_b.erl', 'ns.hrl']);
});
