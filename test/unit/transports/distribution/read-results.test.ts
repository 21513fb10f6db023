import test from 'ava';
import {atom, tuple} from '../../../../daemon/lib/erlang-term/index.ts';
import {readBeamLibMd5, readCharlist, readMd5, readRpcFailure, readUpdateInfo, readUpdateResult} from '../../../../daemon/transports/distribution/read-results.ts';

const md5 = Buffer.from('00112233445566778899aabbccddeeff', 'hex');

test('update_info: the 6-tuple gives the listed modules and the directory', t => {
	const term = tuple(atom('ok'), '/x/ebin', [atom('mod_hello'), atom('mod_b')], [tuple(atom('load_module'), atom('mod_hello'))], [atom('point_of_no_return')], atom('ok'));
	t.deepEqual(readUpdateInfo(term), {modules: ['mod_hello', 'mod_b'], dir: '/x/ebin'});
});

test('update_info: an error or an rpc exception is a typed error quoting the reason', t => {
	t.throws(() => readUpdateInfo(tuple(atom('error'), atom('enoent'))), {message: /update_info\(\) failed on the node: enoent/});
	t.throws(() => readUpdateInfo(tuple(atom('badrpc'), tuple(atom('EXIT'), atom('undef')))), {message: /\{'EXIT',undef\}/});
	t.throws(() => readUpdateInfo(atom('what')), {message: /Unexpected answer from ejabberd_update:update_info: what/});
});

test('update: each result shape ejabberd returns', t => {
	t.deepEqual(readUpdateResult(tuple(atom('ok'), [])), {kind: 'ok', unpurged: []});
	// 24.10 and later: the modules updated.
	t.deepEqual(readUpdateResult(tuple(atom('ok'), [atom('mod_a'), atom('mod_b')])), {kind: 'ok', updated: ['mod_a', 'mod_b']});
	// 23.01: release_handler's unpurged list of {Module, PurgeMethod}.
	t.deepEqual(readUpdateResult(tuple(atom('ok'), [tuple(atom('mod_cron'), atom('brutal_purge'))])), {kind: 'ok', unpurged: ['mod_cron']});
	// Anything else in the list: still ok, neither shape claimed (the raw answer is kept, verification decides).
	t.deepEqual(readUpdateResult(tuple(atom('ok'), [atom('mod_a'), 42])), {kind: 'ok'});
	t.deepEqual(readUpdateResult(tuple(atom('error'), atom('bad'))), {kind: 'error', reason: 'bad'});
	t.deepEqual(readUpdateResult(tuple(atom('EXIT'), tuple(atom('on_load_failure'), atom('mod_a')))), {kind: 'exit', reason: '{on_load_failure,mod_a}'});
	t.deepEqual(readUpdateResult(tuple(atom('badrpc'), tuple(atom('EXIT'), atom('boom')))), {kind: 'exit', reason: 'boom'});
	t.is(readUpdateResult(atom('odd')).kind, 'error');
});

test('small readers: rpc failures, charlists, md5s', t => {
	t.is(readRpcFailure(tuple(atom('badrpc'), atom('nodedown'))), 'nodedown');
	t.is(readRpcFailure(atom('ok')), undefined);
	t.is(readCharlist('/x'), '/x');
	t.is(readCharlist([47, 0x65e5]), '/日');
	t.is(readCharlist(atom('x')), undefined);
	t.is(readMd5(md5), '00112233445566778899aabbccddeeff');
	t.is(readMd5(Buffer.alloc(3)), undefined);
	t.is(readBeamLibMd5(tuple(atom('ok'), tuple(atom('mod_a'), md5))), '00112233445566778899aabbccddeeff');
	t.is(readBeamLibMd5(tuple(atom('error'), atom('beam_lib'), atom('enoent'))), undefined);
});
