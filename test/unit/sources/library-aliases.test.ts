import {lstat, mkdir, mkdtemp, readdir, readlink, rm, symlink, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import * as path from 'node:path';
import test, {type ExecutionContext} from 'ava';
import {ReloaderError} from '../../../daemon/errors.ts';
import {listLibraries, planLibraryAliases, prepareLibraryAliases, writeLibraryAliases, type LibraryEntry} from '../../../daemon/sources/library-aliases.ts';

const LIB = '/usr/lib/erlang/lib';

/** Debian 12's lib root as ejabberd 23.01 installs it (an excerpt). */
const BOOKWORM: readonly LibraryEntry[] = [
	{dirName: 'kernel-8.5.3', appNames: ['kernel']},
	{dirName: 'lager-3.9.2', appNames: ['lager']},
	{dirName: 'p1_cache_tab-1.0.30', appNames: ['cache_tab']},
	{dirName: 'p1_utils-1.0.25', appNames: ['p1_utils']},
	{dirName: 'p1_xml-1.1.49', appNames: ['fast_xml']},
	{dirName: 'p1_xmpp-1.6.1', appNames: ['xmpp']},
	{dirName: 'stdlib-4.2', appNames: ['stdlib']},
];

test('p1_xmpp-1.6.1 becomes xmpp; each p1_ library goes by its application\'s name; OTP\'s and others\' are left alone', t => {
	t.deepEqual(planLibraryAliases(LIB, BOOKWORM), [
		{name: 'cache_tab', target: `${LIB}/p1_cache_tab-1.0.30`},
		{name: 'fast_xml', target: `${LIB}/p1_xml-1.1.49`},
		{name: 'p1_utils', target: `${LIB}/p1_utils-1.0.25`},
		{name: 'xmpp', target: `${LIB}/p1_xmpp-1.6.1`},
	]);
});

test('without a .app file the name is the directory\'s without p1_ and version', t => {
	t.deepEqual(planLibraryAliases(LIB, [{dirName: 'p1_xmpp-1.6.1', appNames: []}, {dirName: 'p1_zlib-1.0.12', appNames: []}]), [
		{name: 'xmpp', target: `${LIB}/p1_xmpp-1.6.1`},
		{name: 'zlib', target: `${LIB}/p1_zlib-1.0.12`},
	]);
});

test('two versions of a library: the newest, compared as numbers', t => {
	t.deepEqual(planLibraryAliases(LIB, [
		{dirName: 'p1_xmpp-1.10.0', appNames: ['xmpp']},
		{dirName: 'p1_xmpp-1.9.4', appNames: ['xmpp']},
		{dirName: 'p1_xmpp-1.6.1', appNames: ['xmpp']},
	]), [{name: 'xmpp', target: `${LIB}/p1_xmpp-1.10.0`}]);
});

test('Debian 13\'s own links (xmpp-1.9.4 -> p1_xmpp-1.9.4) change nothing: the p1_ directory is linked', t => {
	t.deepEqual(planLibraryAliases(LIB, [{dirName: 'p1_xmpp-1.9.4', appNames: ['xmpp']}, {dirName: 'xmpp-1.9.4', appNames: ['xmpp']}]), [{name: 'xmpp', target: `${LIB}/p1_xmpp-1.9.4`}]);
});

test('names that are no safe application name, and directories that are no p1_<name>-<version>, are skipped', t => {
	t.deepEqual(planLibraryAliases(LIB, [
		{dirName: 'p1_xmpp', appNames: ['xmpp']},
		{dirName: 'p1_-1.0', appNames: []},
		{dirName: 'p1_evil-1.0', appNames: ['..']},
		{dirName: 'p1_evil-2.0', appNames: ['a/b']},
		{dirName: 'p1_two-1.0', appNames: ['one', 'two']},
	]), [{name: 'two', target: `${LIB}/p1_two-1.0`}]);
});

async function scratch(t: ExecutionContext): Promise<string> {
	const directory = await mkdtemp(path.join(tmpdir(), 'reloader-aliases-test-'));
	t.teardown(async () => rm(directory, {recursive: true, force: true}));
	return directory;
}

/** A lib root with `p1_<x>-<v>/ebin/<app>.app` directories. */
async function fakeLibRoot(root: string, libraries: readonly LibraryEntry[]): Promise<string> {
	const libRoot = path.join(root, 'lib');
	for (const {dirName, appNames} of libraries) {
		await mkdir(path.join(libRoot, dirName, 'ebin'), {recursive: true});
		for (const app of appNames) {
			await writeFile(path.join(libRoot, dirName, 'ebin', `${app}.app`), `{application, ${app}, []}.\n`);
		}
	}
	return libRoot;
}

async function links(directory: string): Promise<Record<string, string>> {
	const found: Record<string, string> = {};
	for (const name of await readdir(directory)) {
		found[name] = await readlink(path.join(directory, name));
	}
	return found;
}

test('listLibraries reads the p1_ directories and their .app files', async t => {
	const libRoot = await fakeLibRoot(await scratch(t), [...BOOKWORM, {dirName: 'p1_noebin-1.0', appNames: []}]);
	await rm(path.join(libRoot, 'p1_noebin-1.0', 'ebin'), {recursive: true});
	t.deepEqual(await listLibraries(libRoot), [
		{dirName: 'p1_cache_tab-1.0.30', appNames: ['cache_tab']},
		{dirName: 'p1_noebin-1.0', appNames: []},
		{dirName: 'p1_utils-1.0.25', appNames: ['p1_utils']},
		{dirName: 'p1_xml-1.1.49', appNames: ['fast_xml']},
		{dirName: 'p1_xmpp-1.6.1', appNames: ['xmpp']},
	]);
});

test('listLibraries of a missing lib root says which and what to install', async t => {
	const error = await t.throwsAsync(listLibraries(path.join(await scratch(t), 'nope')), {instanceOf: ReloaderError});
	t.is(error?.code, 'ERR_COMPILE_SETUP');
	t.regex(error?.message ?? '', /Cannot list the Erlang libraries in ".*nope"/);
	t.regex(error?.hint ?? '', /erlang-p1-/);
});

test('prepareLibraryAliases writes the links, only in the alias directory, and again changes nothing', async t => {
	const root = await scratch(t);
	const libRoot = await fakeLibRoot(root, BOOKWORM);
	const aliasDir = path.join(root, 'aliases');
	await prepareLibraryAliases(libRoot, aliasDir);
	const expected = {
		cache_tab: path.join(libRoot, 'p1_cache_tab-1.0.30'),
		fast_xml: path.join(libRoot, 'p1_xml-1.1.49'),
		p1_utils: path.join(libRoot, 'p1_utils-1.0.25'),
		xmpp: path.join(libRoot, 'p1_xmpp-1.6.1'),
	};
	t.deepEqual(await links(aliasDir), expected);
	t.deepEqual((await readdir(root)).sort(), ['aliases', 'lib']);
	t.deepEqual((await readdir(libRoot)).sort(), BOOKWORM.map(entry => entry.dirName).sort());
	const before = (await lstat(path.join(aliasDir, 'xmpp'))).ino;
	await prepareLibraryAliases(libRoot, aliasDir);
	t.deepEqual(await links(aliasDir), expected);
	t.is((await lstat(path.join(aliasDir, 'xmpp'))).ino, before, 'an alias already right is not rewritten');
	t.is((await lstat(aliasDir)).mode & 0o777, 0o700);
});

test('with a linkRoot the links name the libraries by it (relative for a root), while the listing reads libRoot', async t => {
	const root = await scratch(t);
	const libRoot = await fakeLibRoot(root, BOOKWORM);
	const aliasDir = path.join(root, 'compat', 'node', 'deps');
	await mkdir(path.dirname(aliasDir), {recursive: true});
	await prepareLibraryAliases(libRoot, aliasDir, '../../../lib');
	t.is(await readlink(path.join(aliasDir, 'xmpp')), '../../../lib/p1_xmpp-1.6.1');
	// Followed from this side too: the same directory the listing read.
	t.deepEqual(await readdir(path.join(aliasDir, 'xmpp', 'ebin')), ['xmpp.app']);
});

test('a link to an old version is replaced, one no longer planned removed', async t => {
	const aliasDir = path.join(await scratch(t), 'aliases');
	await writeLibraryAliases(aliasDir, [{name: 'xmpp', target: '/lib/p1_xmpp-1.6.1'}, {name: 'gone', target: '/lib/p1_gone-1.0'}]);
	await writeLibraryAliases(aliasDir, [{name: 'xmpp', target: '/lib/p1_xmpp-1.9.4'}]);
	t.deepEqual(await links(aliasDir), {xmpp: '/lib/p1_xmpp-1.9.4'});
});

test('something there that is no symlink is left alone and reported', async t => {
	const aliasDir = path.join(await scratch(t), 'aliases');
	await mkdir(path.join(aliasDir, 'xmpp'), {recursive: true});
	await writeFile(path.join(aliasDir, 'notes.txt'), 'mine');
	const error = await t.throwsAsync(writeLibraryAliases(aliasDir, [{name: 'xmpp', target: '/lib/p1_xmpp-1.6.1'}]), {instanceOf: ReloaderError});
	t.is(error?.code, 'ERR_COMPILE_SETUP');
	t.regex(error?.message ?? '', /aliases\/xmpp" is no symbolic link/);
	t.true((await lstat(path.join(aliasDir, 'xmpp'))).isDirectory());
	t.true((await lstat(path.join(aliasDir, 'notes.txt'))).isFile());
});

test('an alias directory whose parent is missing is not created (no mkdir -p of a wrong path)', async t => {
	const root = await scratch(t);
	const error = await t.throwsAsync(writeLibraryAliases(path.join(root, 'no', 'such', 'aliases'), []), {instanceOf: ReloaderError});
	t.is(error?.code, 'ERR_COMPILE_SETUP');
	t.deepEqual(await readdir(root), []);
});

test('a link name that is no application name is refused before anything is written', async t => {
	const root = await scratch(t);
	const aliasDir = path.join(root, 'aliases');
	await mkdir(aliasDir);
	await symlink('/lib/p1_xmpp-1.6.1', path.join(aliasDir, 'xmpp'));
	for (const name of ['..', '../escape', '.', 'a/b', '']) {
		const error = await t.throwsAsync(writeLibraryAliases(aliasDir, [{name, target: '/etc'}]), {instanceOf: ReloaderError});
		t.is(error?.code, 'ERR_COMPILE_SETUP');
	}
	t.deepEqual(await readdir(root), ['aliases']);
	t.deepEqual(await links(aliasDir), {xmpp: '/lib/p1_xmpp-1.6.1'});
});
