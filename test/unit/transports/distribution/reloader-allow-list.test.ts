import test from 'ava';
import {AllowList} from '../../../../daemon/lib/erlang-dist/index.ts';
import {RELOADER_ALLOW_LIST} from '../../../../daemon/transports/distribution/reloader-allow-list.ts';

test('RELOADER_ALLOW_LIST is exactly what the daemon needs', t => {
	t.deepEqual(RELOADER_ALLOW_LIST.map(({module, function: name, arity}) => `${module}:${name}/${arity}`), [
		'code:ensure_loaded/1', 'code:is_loaded/1', 'code:which/1', 'code:load_file/1', 'code:get_mode/0', 'filename:dirname/1',
		'ejabberd_update:update_info/0', 'ejabberd_update:update/1', 'beam_lib:md5/1', 'erlang:get_module_info/2', 'erlang:system_info/1', 'erlang:node/0',
		'application:get_key/2',
		'code:soft_purge/1', 'code:purge/1', 'code:load_abs/1', 'erlang:check_old_code/1', 'erlang:check_process_code/2', 'erlang:processes/0',
		'erlang:process_info/2', 'proc_lib:translate_initial_call/1',
		'code:get_path/0', 'code:all_loaded/0', 'ext_mod:modules_dir/0', 'ejabberd_cluster:get_nodes/0',
		'compile:file/2', 'code:lib_dir/1',
		'compile:format_error/1', 'epp:format_error/1', 'erl_scan:format_error/1', 'erl_parse:format_error/1', 'erl_lint:format_error/1', 'erl_features:format_error/1',
		'sys_core_fold:format_error/1', 'v3_core:format_error/1', 'v3_kernel:format_error/1', 'beam_core_to_ssa:format_error/1', 'beam_ssa_bsm:format_error/1',
		'beam_ssa_recv:format_error/1', 'beam_validator:format_error/1', 'ejabberd_sql_pt:format_error/1',
	]);
	t.true(Object.isFrozen(RELOADER_ALLOW_LIST));
});

test('nothing outside it passes', t => {
	const allow = new AllowList(RELOADER_ALLOW_LIST);
	t.false(allow.has('os', 'cmd', 1));
	t.false(allow.has('erlang', 'halt', 0));
	// compile:file is there, compile:forms (code the daemon would send) and the file writers are not.
	t.false(allow.has('compile', 'forms', 2));
	t.false(allow.has('file', 'write_file', 2));
});
