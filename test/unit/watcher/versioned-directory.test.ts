import test from 'ava';
import {parseAppVersion, parseVersionedDirectory, siblingVersionOf} from '../../../daemon/watcher/versioned-directory.ts';

const parses = test.macro({
	exec: (t, directory: string, expected: {root: string; app: string; version: string}) => {
		t.deepEqual(parseVersionedDirectory(directory), {directory, ...expected});
	},
	title: (_, directory) => `${directory} is a versioned install`,
});
const doesNotParse = test.macro({
	exec: (t, directory: string) => t.is(parseVersionedDirectory(directory), undefined),
	title: (_, directory) => `${JSON.stringify(directory)} is not a versioned install`,
});

test(parses, '/usr/lib/x86_64-linux-gnu/ejabberd-23.01/ebin', {root: '/usr/lib/x86_64-linux-gnu', app: 'ejabberd', version: '23.01'});
test(parses, '/usr/local/lib/fast_xml-1.1.49/ebin', {root: '/usr/local/lib', app: 'fast_xml', version: '1.1.49'});
test(parses, '/usr/local/lib/p1_utils-1.0.25/ebin/', {root: '/usr/local/lib', app: 'p1_utils', version: '1.0.25'});
test(parses, '/opt/lib/ejabberd-24.02.0-rc1+git/ebin', {root: '/opt/lib', app: 'ejabberd', version: '24.02.0-rc1+git'});
test(parses, '/opt/lib//ejabberd-23.10/./ebin', {root: '/opt/lib', app: 'ejabberd', version: '23.10'});
test(parses, 'lib/ejabberd-23.01/ebin', {root: 'lib', app: 'ejabberd', version: '23.01'});

for (const directory of [
	'/usr/lib/ejabberd/ebin',
	'/usr/lib/ejabberd-23.01',
	'/usr/lib/ejabberd-23.01/priv',
	'/usr/lib/ejabberd-23.01/ebin/sub',
	'/usr/lib/ejabberd-latest/ebin',
	'/usr/lib/-23.01/ebin',
	'/usr/lib/23.01/ebin',
	'/home/me/ejabberd/_build/default/lib/ejabberd/ebin',
	'',
]) {
	test(doesNotParse, directory);
}

test('parseAppVersion splits at the first dash, since an app name has none', t => {
	t.deepEqual(parseAppVersion('ejabberd-23.01-1'), {app: 'ejabberd', version: '23.01-1'});
	t.deepEqual(parseAppVersion('eimp-1.0.22'), {app: 'eimp', version: '1.0.22'});
	t.is(parseAppVersion('ejabberd'), undefined);
	t.is(parseAppVersion('ejabberd-'), undefined);
	t.is(parseAppVersion('x86_64-linux-gnu'), undefined);
	t.is(parseAppVersion('ejabberd-23.01.tar.gz '), undefined);
});

const watched = {directory: '/usr/lib/x86_64-linux-gnu/ejabberd-23.01/ebin', root: '/usr/lib/x86_64-linux-gnu', app: 'ejabberd', version: '23.01'};

test('siblingVersionOf gives the ebin of another version of the same app', t => {
	t.is(siblingVersionOf(watched, 'ejabberd-24.02'), '/usr/lib/x86_64-linux-gnu/ejabberd-24.02/ebin');
	// An older version appearing is reported too: the node may be downgraded.
	t.is(siblingVersionOf(watched, 'ejabberd-22.10'), '/usr/lib/x86_64-linux-gnu/ejabberd-22.10/ebin');
});

test('siblingVersionOf ignores the watched version, other apps and other names', t => {
	t.is(siblingVersionOf(watched, 'ejabberd-23.01'), undefined);
	t.is(siblingVersionOf(watched, 'fast_xml-1.1.50'), undefined);
	t.is(siblingVersionOf(watched, 'ejabberd_contrib-1.0'), undefined);
	t.is(siblingVersionOf(watched, 'ejabberd'), undefined);
	t.is(siblingVersionOf(watched, 'libejabberd-24.02'), undefined);
	t.is(siblingVersionOf(watched, '.ejabberd-24.02'), undefined);
});
