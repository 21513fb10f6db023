import test from 'ava';
import {AllowList, RELOADER_ALLOW_LIST} from '../../../daemon/transports/dist/allow-list.ts';

test('RELOADER_ALLOW_LIST is exactly what the daemon needs', t => {
	t.deepEqual(RELOADER_ALLOW_LIST.map(({module, function: name, arity}) => `${module}:${name}/${arity}`), [
		'code:ensure_loaded/1', 'code:is_loaded/1', 'code:which/1', 'code:load_file/1', 'code:get_mode/0', 'filename:dirname/1',
		'ejabberd_update:update_info/0', 'ejabberd_update:update/1', 'beam_lib:md5/1', 'erlang:get_module_info/2', 'erlang:system_info/1',
		'code:soft_purge/1', 'code:purge/1', 'code:load_abs/1', 'erlang:check_old_code/1', 'erlang:check_process_code/2', 'erlang:processes/0',
	]);
	t.true(Object.isFrozen(RELOADER_ALLOW_LIST));
});

test('listed functions pass; a wrong arity, module or function is refused with ERR_DIST_FORBIDDEN', t => {
	const allow = new AllowList(RELOADER_ALLOW_LIST);
	t.notThrows(() => allow.check('ejabberd_update', 'update', 1, 'ej@localhost'));
	for (const [module, name, arity] of [['ejabberd_update', 'update', 2], ['os', 'cmd', 1], ['code', 'delete', 1], ['erlang', 'halt', 0]] as const) {
		const error = t.throws(() => allow.check(module, name, arity, 'ej@localhost'));
		t.like(error, {code: 'ERR_DIST_FORBIDDEN', retryable: false});
		t.is(error?.message, `Refusing to call ${module}:${name}/${arity} on ej@localhost: it is not in the client's allow-list`);
	}
});

test('a wider list given at construction allows more', t => {
	const allow = new AllowList([...RELOADER_ALLOW_LIST, {module: 'erlang', function: 'node', arity: 0}]);
	t.true(allow.has('erlang', 'node', 0));
	t.false(new AllowList(RELOADER_ALLOW_LIST).has('erlang', 'node', 0));
});
