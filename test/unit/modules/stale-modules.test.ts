import test from 'ava';
import type {BeamRead, BeamSnapshot} from '../../../daemon/beam/beam-snapshot.ts';
import {BeamIndex} from '../../../daemon/modules/beam-index.ts';
import {findStaleModules} from '../../../daemon/modules/stale-modules.ts';
import type {ModuleLocation, ModuleState} from '../../../daemon/transports/transport.ts';
import {fakeTransport} from '../../support/fake-transport.ts';

function snapshot(module: string, path: string, codeMd5: string): BeamSnapshot {
	return {path, size: 1, mtimeMs: 0, digest: codeMd5, module, vsn: undefined, codeMd5};
}

/** The ebin update_info scans, and a contrib ebin beyond it. */
function setup(states: Record<string, ModuleState>, disk: Record<string, string>, kind: 'dist' | 'ctl' = 'dist') {
	const index = new BeamIndex();
	index.noteVersion('ejabberd', '/ebin/ejabberd.beam', undefined);
	index.noteVersion('mod_listed', '/ebin/mod_listed.beam', undefined);
	for (const module of ['mod_stale', 'mod_same', 'mod_never', 'mod_broken', 'mod_listed_too']) {
		index.noteVersion(module, `/contrib/${module}/ebin/${module}.beam`, undefined);
	}
	const asked: string[][] = [];
	const reads: string[] = [];
	const transport = fakeTransport({
		kind,
		moduleStates: async (locations: readonly ModuleLocation[]) => {
			asked.push(locations.map(({module}) => module));
			return new Map(locations.flatMap(({module}) => (states[module] === undefined ? [] : [[module, states[module]] as const])));
		},
	});
	const read = async (path: string): Promise<BeamRead> => {
		reads.push(path);
		const module = /([a-z_]+)\.beam$/.exec(path)?.[1] ?? '';
		const md5 = disk[module];
		return md5 === undefined ? {state: 'incomplete', expectedSize: 2, actualSize: 1, fingerprint: ''} : {state: 'complete', snapshot: snapshot(module, path, md5), fingerprint: ''};
	};
	return {index, transport, read, asked, reads};
}

test('stale: loaded beyond update_info\'s directory with other code than the daemon reads now; not the same, never loaded, half-written or listed ones', async t => {
	const {index, transport, read, asked, reads} = setup(
		{mod_stale: {loaded: true, loadedMd5: 'old'}, mod_same: {loaded: true, loadedMd5: 'same'}, mod_never: {loaded: false}, mod_broken: {loaded: true, loadedMd5: 'x'}},
		{mod_stale: 'new', mod_same: 'same', mod_never: 'n'},
	);
	const stale = await findStaleModules({transport, index, reach: '/ebin', listed: ['mod_listed_too'], read});
	t.deepEqual(stale.map(({module, path, snapshot: {codeMd5}}) => ({module, path, codeMd5})), [{module: 'mod_stale', path: '/contrib/mod_stale/ebin/mod_stale.beam', codeMd5: 'new'}]);
	t.deepEqual(asked, [['mod_stale', 'mod_same', 'mod_never', 'mod_broken']], 'only modules beyond the directory, never a listed one');
	t.false(reads.some(path => path.includes('mod_never')), 'a module never loaded is not read');
});

test('only update_info\'s own directory is excluded; with nothing beyond it, no call at all', async t => {
	const {index, transport, read, asked} = setup({}, {});
	const stale = await findStaleModules({transport, index, reach: '/contrib/mod_stale/ebin', listed: [], read});
	t.deepEqual(stale.map(({module}) => module), []);
	t.is(asked.length, 1, 'the other contrib directories are still beyond');
	const none = new BeamIndex();
	none.noteVersion('ejabberd', '/ebin/ejabberd.beam', undefined);
	const quiet = setup({}, {});
	t.deepEqual(await findStaleModules({transport: quiet.transport, index: none, reach: '/ebin', listed: [], read: quiet.read}), []);
	t.deepEqual(quiet.asked, []);
});

test('a transport that cannot see the loaded code finds nothing (it cannot tell)', async t => {
	const {index, transport, read, asked} = setup({}, {}, 'ctl');
	t.deepEqual(await findStaleModules({transport, index, reach: '/ebin', listed: [], read}), []);
	t.deepEqual(asked, []);
});
