import {chmod, mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import test, {type ExecutionContext} from 'ava';
import {atom, formatTerm, tuple, type Term} from '../../../../daemon/lib/erlang-term/index.ts';
import {DistTransport} from '../../../../daemon/transports/distribution/dist-transport.ts';
import {readLoadedDirectories} from '../../../../daemon/transports/distribution/read-code-path.ts';
import {createPathMap} from '../../../../daemon/transports/path-map.ts';
import {startFakeNode} from '../../lib/erlang-dist/_fake-node.ts';

const NODE = 'fake@127.0.0.1';
const COOKIE = 'FAKECOOKIEVALUE';
const MD5 = Buffer.alloc(16, 0xab);
/** The daemon sees the node's /opt/ejabberd/lib at /srv/root/opt/ejabberd/lib, as with a volume. */
const PATHS = createPathMap([{local: '/srv/root/opt/ejabberd/lib', node: '/opt/ejabberd/lib'}, {local: '/srv/contrib', node: '/home/ejabberd/.ejabberd-modules'}]);

/** What the fake node answers, with every path it is sent recorded. */
function answer(calls: string[]) {
	return (module: string, fn: string, args: Term[]): Term | undefined => {
		calls.push(`${module}:${fn}(${args.map(arg => formatTerm(arg)).join(', ')})`);
		switch (`${module}:${fn}`) {
			case 'ejabberd_update:update_info':
				return tuple(atom('ok'), '/opt/ejabberd/lib/ejabberd-24.12/ebin', [atom('mod_a')], [], [], atom('ok'));
			case 'code:which':
				return '/opt/ejabberd/lib/ejabberd-24.12/ebin/ejabberd.beam';
			case 'code:is_loaded':
				return tuple(atom('file'), '/opt/ejabberd/lib/ejabberd-24.12/ebin/mod_a.beam');
			case 'beam_lib:md5':
				return tuple(atom('ok'), tuple(atom('mod_a'), MD5));
			case 'erlang:get_module_info':
				return MD5;
			case 'code:soft_purge':
				return atom('true');
			case 'code:load_abs':
				return tuple(atom('module'), atom('mod_a'));
			case 'code:get_path':
				return ['/opt/ejabberd/lib/ejabberd-24.12/ebin', '/home/ejabberd/.ejabberd-modules/mod_cron/ebin', '/usr/lib/erlang/lib/kernel/ebin', '/empty/ebin'];
			case 'code:all_loaded':
				return [
					tuple(atom('mod_cron'), '/home/ejabberd/.ejabberd-modules/mod_cron/ebin/mod_cron.beam'),
					tuple(atom('ejabberd'), '/opt/ejabberd/lib/ejabberd-24.12/ebin/ejabberd.beam'),
					tuple(atom('erlang'), atom('preloaded')),
					tuple(atom('lists'), '/usr/lib/erlang/lib/stdlib/ebin/lists.beam'),
				];
			case 'ext_mod:modules_dir':
				return '/home/ejabberd/.ejabberd-modules';
			default:
				return undefined;
		}
	};
}

async function setup(t: ExecutionContext) {
	const calls: string[] = [];
	const fake = await startFakeNode(t, {name: NODE, cookie: COOKIE, rex: answer(calls)});
	const dir = await mkdtemp(join(tmpdir(), 'reloader-dist-paths-'));
	t.teardown(() => rm(dir, {recursive: true, force: true}));
	const cookieFile = join(dir, 'cookie');
	await writeFile(cookieFile, COOKIE);
	await chmod(cookieFile, 0o400);
	const transport = new DistTransport({node: NODE, cookieFile, port: fake.port, connectTimeoutMs: 5000, callTimeoutMs: 5000, paths: PATHS});
	t.teardown(() => transport.close());
	return {transport, calls};
}

test('paths the node sends come back as the daemon\'s: update_info\'s Dir, code:which', async t => {
	const {transport} = await setup(t);
	t.is((await transport.updateInfo()).dir, '/srv/root/opt/ejabberd/lib/ejabberd-24.12/ebin');
	t.is(await transport.codeDirectory(), '/srv/root/opt/ejabberd/lib/ejabberd-24.12/ebin');
});

test('paths sent to the node are the node\'s: code:load_abs and beam_lib:md5', async t => {
	const {transport, calls} = await setup(t);
	t.is(await transport.loadBeam({module: 'mod_a', path: '/srv/contrib/mod_a/ebin/mod_a.beam'}, 'brutal'), undefined);
	const states = await transport.moduleStates([{module: 'mod_a', path: '/srv/root/opt/ejabberd/lib/ejabberd-24.12/ebin/mod_a.beam'}]);
	t.deepEqual(states.get('mod_a'), {loaded: true, loadedMd5: MD5.toString('hex'), diskMd5: MD5.toString('hex')});
	t.true(calls.includes('code:load_abs("/home/ejabberd/.ejabberd-modules/mod_a/ebin/mod_a")'), calls.join('\n'));
	t.true(calls.includes('beam_lib:md5("/opt/ejabberd/lib/ejabberd-24.12/ebin/mod_a.beam")'), calls.join('\n'));
	t.false(calls.some(call => call.includes('/srv/')), 'no daemon-side path reaches the node');
});

test('codeLocations: update_info\'s directory, the contrib directory and the loaded code path directories, as the daemon sees them', async t => {
	const {transport} = await setup(t);
	t.deepEqual(await transport.codeLocations(), {
		ejabberd: '/srv/root/opt/ejabberd/lib/ejabberd-24.12/ebin',
		contrib: '/srv/contrib',
		loaded: ['/srv/root/opt/ejabberd/lib/ejabberd-24.12/ebin', '/srv/contrib/mod_cron/ebin'],
	});
});

test('readLoadedDirectories: code path order, loaded modules only, each directory once, no preloaded', t => {
	t.deepEqual(readLoadedDirectories(
		['/b/ebin', '/a/ebin/', '/a/ebin', 'relative/ebin', '/c/ebin'],
		[tuple(atom('x'), '/a/ebin/x.beam'), tuple(atom('y'), '/b/ebin/y.beam'), tuple(atom('z'), atom('preloaded')), tuple(atom('w'), 'relative/ebin/w.beam')],
	), ['/b/ebin', '/a/ebin']);
	t.deepEqual(readLoadedDirectories(atom('error'), atom('error')), []);
});
