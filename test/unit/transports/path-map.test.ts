import test from 'ava';
import {createPathMap, describePathsEntry, isWithin, normalizeDirectory, pathMappingProblems} from '../../../daemon/transports/path-map.ts';

const VOLUME = createPathMap([
	{local: '/srv/ebin', node: '/opt/ejabberd/lib/x/ebin'},
	{local: '/srv/ebin/nested', node: '/elsewhere'},
	{local: '/var/cache/root/', node: '/'},
]);

const translations: ReadonlyArray<[title: string, direction: 'toNode' | 'toLocal', path: string, expected: string, mapping: number | undefined]> = [
	['a beam in a mapped directory', 'toNode', '/srv/ebin/mod_x.beam', '/opt/ejabberd/lib/x/ebin/mod_x.beam', 0],
	['the mapped directory itself', 'toNode', '/srv/ebin', '/opt/ejabberd/lib/x/ebin', 0],
	['whole components only: /srv/ebin2 is not below /srv/ebin', 'toNode', '/srv/ebin2/mod_x.beam', '/srv/ebin2/mod_x.beam', undefined],
	['the longest prefix wins', 'toNode', '/srv/ebin/nested/m.beam', '/elsewhere/m.beam', 1],
	['unmapped: the same path (a node on this host)', 'toNode', '/usr/lib/ejabberd/ebin/m.beam', '/usr/lib/ejabberd/ebin/m.beam', undefined],
	['a root mapped to the node\'s /', 'toNode', '/var/cache/root/compat/n/ebin', '/compat/n/ebin', 2],
	['back from the node', 'toLocal', '/opt/ejabberd/lib/x/ebin/mod_x.beam', '/srv/ebin/mod_x.beam', 0],
	['back from the node, the longest prefix wins', 'toLocal', '/elsewhere', '/srv/ebin/nested', 1],
	['the node\'s / covers everything else', 'toLocal', '/compat/n/ebin', '/var/cache/root/compat/n/ebin', 2],
	['the node\'s / itself', 'toLocal', '/', '/var/cache/root', 2],
];

for (const [title, direction, path, expected, mapping] of translations) {
	test(`${direction}: ${title}`, t => {
		t.is(VOLUME[direction](path), expected);
		t.deepEqual(direction === 'toNode' ? VOLUME.mapToNode(path) : VOLUME.mapToLocal(path), {path: expected, mapping});
	});
}

test('no mappings: every path is the same on both sides', t => {
	const map = createPathMap();
	t.is(map.toNode('/a/b.beam'), '/a/b.beam');
	t.deepEqual(map.mapToLocal('/a'), {path: '/a', mapping: undefined});
});

test('the map is frozen and keeps the mappings normalised', t => {
	t.true(Object.isFrozen(VOLUME));
	t.true(Object.isFrozen(VOLUME.mappings));
	t.is(VOLUME.mappings[2]?.local, '/var/cache/root');
});

test('a round trip through a mapping gives the path back', t => {
	for (const path of ['/srv/ebin/a.beam', '/srv/ebin/nested/b.beam', '/var/cache/root/x/y']) {
		t.is(VOLUME.toLocal(VOLUME.toNode(path)), path);
	}
});

test('isWithin and normalizeDirectory', t => {
	t.true(isWithin('/a/b', '/a'));
	t.true(isWithin('/a', '/a'));
	t.false(isWithin('/ab', '/a'));
	t.true(isWithin('/x', '/'));
	t.is(normalizeDirectory('/srv//ebin/'), '/srv/ebin');
	t.is(normalizeDirectory('/'), '/');
});

const problemCases: ReadonlyArray<[title: string, mappings: Array<{local: string; node: string}>, expected: Array<[path: Array<string | number>, message: RegExp]>]> = [
	['valid mappings: no problem', [{local: '/srv/ebin', node: '/opt/ebin'}, {local: '/srv/contrib', node: '/opt/contrib'}], []],
	['a relative local path', [{local: 'srv/ebin', node: '/opt/ebin'}], [[[0, 'local'], /^must be an absolute path \(starting with \/\), e\.g\. \/srv\/ejabberd\/ebin$/]]],
	['a relative node path', [{local: '/srv/ebin', node: './ebin'}], [[[0, 'node'], /^must be an absolute path/]]],
	['.. in a path', [{local: '/srv/../ebin', node: '/opt/ebin'}], [[[0, 'local'], /^must not contain `\.\.`/]]],
	['the same local directory twice (after normalising)', [{local: '/srv/ebin', node: '/a'}, {local: '/srv/ebin/', node: '/b'}], [[[1, 'local'], /^maps \/srv\/ebin again \(paths\[0\]\.local already does\): each daemon directory may appear once$/]]],
	['the same node directory twice', [{local: '/a', node: '/opt/ebin'}, {local: '/b', node: '/opt/ebin'}], [[[1, 'node'], /^maps \/opt\/ebin again \(paths\[0\]\.node already does\): each node directory may appear once$/]]],
	['every problem at once', [{local: 'a', node: 'b'}, {local: '/c', node: '/d'}, {local: '/c', node: '/d'}], [[[0, 'local'], /absolute/], [[0, 'node'], /absolute/], [[2, 'local'], /again/], [[2, 'node'], /again/]]],
];

for (const [title, mappings, expected] of problemCases) {
	test(`pathMappingProblems: ${title}`, t => {
		const problems = pathMappingProblems(mappings);
		t.deepEqual(problems.map(problem => problem.path), expected.map(([path]) => path));
		for (const [index, problem] of problems.entries()) {
			t.regex(problem.message, expected[index]?.[1] ?? /∅/);
		}
	});
}

test('describePathsEntry shows the entry to add', t => {
	t.is(describePathsEntry('/opt/ebin', '/srv/ebin'), 'paths: [{local: /srv/ebin, node: /opt/ebin}]');
	t.is(describePathsEntry('/opt/ebin'), 'paths: [{local: <where this directory is on this machine>, node: /opt/ebin}]');
});
