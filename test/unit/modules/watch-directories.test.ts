import {mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import test, {type ExecutionContext} from 'ava';
import {resolveConfig} from '../../../daemon/config/resolve-config.ts';
import type {UserConfig} from '../../../daemon/config/schema.ts';
import {WatchDirectoryError, describeUnreachable, missingDirectoryHint, resolveWatchDirectories, selectAutoDirectories} from '../../../daemon/modules/watch-directories.ts';
import {createPathMap} from '../../../daemon/transports/path-map.ts';
import type {CodeLocations} from '../../../daemon/transports/transport.ts';
import {fakeTransport} from '../../support/fake-transport.ts';

async function tempDir(t: ExecutionContext): Promise<string> {
	const dir = await mkdtemp(join(tmpdir(), 'reloader-watch-dirs-'));
	t.teardown(() => rm(dir, {recursive: true, force: true}));
	return dir;
}

function resolveWith(config: UserConfig, locations?: CodeLocations | Error, kind: 'dist' | 'ctl' = 'dist') {
	const warnings: Array<[string, string]> = [];
	const transport = fakeTransport({
		kind,
		codeLocations: async () => {
			if (locations instanceof Error) {
				throw locations;
			}
			return locations ?? {ejabberd: '/nonexistent', contrib: undefined, loaded: []};
		},
	});
	const resolving = resolveWatchDirectories(resolveConfig({transport: kind, ...config}), transport, (message, code) => warnings.push([code, message]));
	return {resolving, warnings};
}

test('selectAutoDirectories: update_info\'s directory first, then loaded ones under ejabberd\'s application or the contrib directory, in code path order', t => {
	t.deepEqual(selectAutoDirectories({
		ejabberd: '/opt/ejabberd/lib/ejabberd-24.12/ebin',
		contrib: '/home/ejabberd/.ejabberd-modules',
		loaded: ['/home/ejabberd/.ejabberd-modules/mod_cron/ebin', '/opt/ejabberd/lib/ejabberd-24.12/ebin', '/usr/lib/erlang/lib/stdlib-5/ebin', '/opt/ejabberd/lib/ejabberd-24.12/priv/ebin', '/home/ejabberd/.ejabberd-modules-other/x/ebin'],
	}), ['/opt/ejabberd/lib/ejabberd-24.12/ebin', '/home/ejabberd/.ejabberd-modules/mod_cron/ebin', '/opt/ejabberd/lib/ejabberd-24.12/priv/ebin']);
	t.deepEqual(selectAutoDirectories({ejabberd: '/a/ebin', contrib: undefined, loaded: ['/b/ebin']}), ['/a/ebin']);
});

const hints: ReadonlyArray<[string, RegExp]> = [
	['/var/lib/ejabberd/.ejabberd-modules/mod_cron/ebin', /contrib module's ebin: `ejabberdctl module_install mod_cron`/],
	['/srv/sandbox/contrib/mod_x/ebin', /contrib module's ebin: `ejabberdctl module_install mod_x`/],
	['/home/dev/ejabberd/ebin', /an ebin: `make install`/],
	['/home/dev/beams', /Create it, or fix `watch`/],
];
for (const [directory, hint] of hints) {
	test(`missingDirectoryHint fits ${directory}`, t => {
		t.regex(missingDirectoryHint(directory), hint);
	});
}

test('describeUnreachable: no mapping covers the node\'s directory: the entry to add', t => {
	t.is(describeUnreachable('n@host', '/compat/n/ebin', createPathMap()), 'watch: auto: n@host loads ejabberd from /compat/n/ebin, which does not exist on this host, and no `paths` entry covers it (the node runs in a container, a chroot or on another machine): add the directory as this host sees it, paths: [{local: <where this directory is on this machine>, node: /compat/n/ebin}]');
});

test('describeUnreachable: a mapping covers it but its local side is missing', t => {
	const map = createPathMap([{local: '/srv/missing', node: '/opt/ebin'}]);
	t.is(describeUnreachable('n@host', '/srv/missing', map), 'watch: auto: n@host loads ejabberd from /opt/ebin, which paths[0] maps to /srv/missing, which does not exist on this host: fix paths[0].local (paths: [{local: <where this directory is on this machine>, node: /opt/ebin}])');
});

test('listed directories: a missing one is a warning with its hint and is still watched; only present ones are scanned', async t => {
	const dir = await tempDir(t);
	const ebin = join(dir, 'ebin');
	await mkdir(ebin);
	const later = join(dir, '.ejabberd-modules', 'mod_later', 'ebin');
	const {resolving, warnings} = resolveWith({watch: [ebin, later]});
	t.deepEqual(await resolving, {directories: [ebin, later], present: [ebin]});
	t.deepEqual(warnings.map(([code]) => code), ['WARN_WATCH_MISSING']);
	t.regex(warnings[0]?.[1] ?? '', /^watch\[1\]: .*mod_later\/ebin does not exist yet; it is watched as soon as it appears\. It looks like a contrib module's ebin/);
});

test('listed directories: a regular file in place of one is refused', async t => {
	const dir = await tempDir(t);
	const file = join(dir, 'file');
	await writeFile(file, '');
	const {resolving} = resolveWith({watch: [dir, file]});
	const error = await t.throwsAsync(resolving, {instanceOf: WatchDirectoryError});
	t.deepEqual(error?.problems.map(problem => problem.message), [`watch[1]: ${file} is not a directory`]);
});

test('auto over dist: update_info\'s directory and the contrib directories the node loads from', async t => {
	const dir = await tempDir(t);
	const ebin = join(dir, 'lib', 'ejabberd', 'ebin');
	const contrib = join(dir, 'contrib');
	const cron = join(contrib, 'mod_cron', 'ebin');
	await Promise.all([mkdir(ebin, {recursive: true}), mkdir(cron, {recursive: true})]);
	const {resolving, warnings} = resolveWith({}, {ejabberd: ebin, contrib, loaded: [ebin, cron, '/usr/lib/erlang/lib/kernel/ebin']});
	// The contrib modules directory itself is followed too: a module installed later is watched (ContribFollower).
	t.deepEqual(await resolving, {directories: [ebin, cron], present: [ebin, cron], contrib});
	t.deepEqual(warnings, []);
});

test('auto over dist: a contrib directory this host does not see is a warning with the paths entry to add', async t => {
	const dir = await tempDir(t);
	const {resolving, warnings} = resolveWith({}, {ejabberd: dir, contrib: '/node/contrib', loaded: ['/node/contrib/mod_x/ebin']});
	t.deepEqual((await resolving).directories, [dir]);
	t.regex(warnings[0]?.[1] ?? '', /loads modules from \/node\/contrib\/mod_x\/ebin, which this host does not see; its modules are not watched\. To watch them add paths: \[\{local: .*, node: \/node\/contrib\/mod_x\/ebin\}\]/);
});

test('auto over dist: update_info\'s directory missing here is refused with the paths entry to add', async t => {
	const {resolving} = resolveWith({}, {ejabberd: '/compat/n/ebin', contrib: undefined, loaded: []});
	const error = await t.throwsAsync(resolving, {code: 'ERR_CONFIG_INVALID'});
	t.regex(error?.message ?? '', /loads ejabberd from \/compat\/n\/ebin, which does not exist on this host, and no `paths` entry covers it/);
	t.regex(error?.message ?? '', /paths: \[\{local: <where this directory is on this machine>, node: \/compat\/n\/ebin\}\]/);
});

test('auto over dist with paths, node unreachable: refused rather than watching this host\'s install', async t => {
	const {resolving} = resolveWith({paths: [{local: '/srv/ebin', node: '/opt/ebin'}]}, new Error('connect ECONNREFUSED'));
	const error = await t.throwsAsync(resolving, {code: 'ERR_CONFIG_INVALID'});
	t.regex(error?.message ?? '', /could not ask fake@localhost where its code is \(connect ECONNREFUSED\), and with `paths` set/);
});

test('auto over ctl (transport: auto fell back) with paths: refused with the capability rule\'s message', async t => {
	const {resolving} = resolveWith({transport: 'auto', paths: [{local: '/srv/ebin', node: '/opt/ebin'}]}, undefined, 'ctl');
	const error = await t.throwsAsync(resolving, {code: 'ERR_CONFIG_INVALID'});
	t.regex(error?.message ?? '', /^watch: auto cannot locate the node's ebin with certainty \(transport: ctl cannot ask the node where its code is, and paths maps a directory/);
});

test('over ctl, a watched directory beyond update_info\'s (the one holding ejabberd.beam) is a warning: outOfReach, and no catching up', async t => {
	const dir = await tempDir(t);
	const ebin = join(dir, 'ebin');
	const contrib = join(dir, 'contrib', 'mod_x', 'ebin');
	await mkdir(ebin);
	await mkdir(contrib, {recursive: true});
	await writeFile(join(ebin, 'ejabberd.beam'), '');
	const {resolving, warnings} = resolveWith({watch: [ebin, contrib]}, undefined, 'ctl');
	t.deepEqual((await resolving).directories, [ebin, contrib]);
	t.deepEqual(warnings.map(([code]) => code), ['WARN_WATCH_BEYOND_REACH']);
	t.is(warnings[0]?.[1], `watch: ${contrib} is beyond the directory update_info scans (${ebin}): over transport ctl a changed module there is reported outOfReach, not loaded, and one changed while the daemon was not running goes unnoticed (ctl cannot see which code the node runs). Use transport: dist to load them.`);
	const dist = resolveWith({watch: [ebin, contrib]});
	await dist.resolving;
	t.deepEqual(dist.warnings, [], 'dist loads them itself');
});
