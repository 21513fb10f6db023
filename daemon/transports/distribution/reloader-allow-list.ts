import {remoteFunction as fn, type RemoteFunction} from '../../lib/erlang-dist/index.ts';
import {MESSAGE_FORMATTERS} from './compile-on-node.ts';

/**
 * Exactly what the daemon calls on the node. The cookie would allow anything;
 * this list keeps a bug or a crafted request from turning the daemon into a
 * remote shell.
 */
export const RELOADER_ALLOW_LIST: readonly RemoteFunction[] = Object.freeze([
	fn('code', 'ensure_loaded', 1),
	fn('code', 'is_loaded', 1),
	fn('code', 'which', 1),
	fn('code', 'load_file', 1),
	fn('code', 'get_mode', 0),
	fn('filename', 'dirname', 1),
	fn('ejabberd_update', 'update_info', 0),
	fn('ejabberd_update', 'update', 1),
	fn('beam_lib', 'md5', 1),
	fn('erlang', 'get_module_info', 2),
	fn('erlang', 'system_info', 1),
	// The liveness check while a slow call runs: cheap, and answered however busy ejabberd is.
	fn('erlang', 'node', 0),
	// The node's ejabberd version, for the init record and reading answers per version.
	fn('application', 'get_key', 2),
	// Purges: who runs old code, described before a brutal purge kills it.
	fn('code', 'soft_purge', 1),
	fn('code', 'purge', 1),
	fn('code', 'load_abs', 1),
	fn('erlang', 'check_old_code', 1),
	fn('erlang', 'check_process_code', 2),
	fn('erlang', 'processes', 0),
	fn('erlang', 'process_info', 2),
	fn('proc_lib', 'translate_initial_call', 1),
	// watch: auto: the code path's directories that hold loaded modules, and where contrib modules live.
	fn('code', 'get_path', 0),
	fn('code', 'all_loaded', 0),
	fn('ext_mod', 'modules_dir', 0),
	// cluster.nodes: auto: the members of the node's ejabberd cluster.
	fn('ejabberd_cluster', 'get_nodes', 0),
	// compile.compiler: node. The module compiled in memory (`binary` is always among the
	// options, which the daemon builds from fixed names: nothing is written on the node),
	// with the include directories of ejabberd's libraries where the node has them (ext_mod's
	// app_dir: code:lib_dir, else code:which above); each diagnostic's message is its
	// reporter's format_error/1, for the compiler's own modules only (the daemon cannot send a fun).
	fn('compile', 'file', 2),
	fn('code', 'lib_dir', 1),
	...MESSAGE_FORMATTERS.map(module => fn(module, 'format_error', 1)),
]);
