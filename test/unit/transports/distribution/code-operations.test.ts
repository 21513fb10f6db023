import test from 'ava';
import {atom, tuple, type Term} from '../../../../daemon/lib/erlang-term/index.ts';
import {describeProcess, readNodeVersions, readProcessInfo, type RemoteCall} from '../../../../daemon/transports/distribution/code-operations.ts';
import {ReloaderError} from '../../../../daemon/errors.ts';

const mfa = (m: string, f: string, a: number) => tuple(atom(m), atom(f), a);

test('process_info: a registered loop', t => {
	t.deepEqual(readProcessInfo([
		tuple(atom('registered_name'), atom('mod_statsdx_loop')),
		tuple(atom('initial_call'), mfa('erlang', 'apply', 2)),
		tuple(atom('current_function'), mfa('mod_statsdx', 'loop', 0)),
	]), {name: 'mod_statsdx_loop', initialCall: 'erlang:apply/2', currentFunction: 'mod_statsdx:loop/0'});
});

test('process_info: no name is `[]`; a dead process is `undefined`', t => {
	t.deepEqual(readProcessInfo([tuple(atom('registered_name'), []), tuple(atom('initial_call'), mfa('timer', 'apply_interval', 4))]), {initialCall: 'timer:apply_interval/4'});
	t.deepEqual(readProcessInfo(atom('undefined')), {});
});

test('a proc_lib process is described by its real initial call', async t => {
	const pid = atom('pid_stand_in');
	const calls: string[] = [];
	const call: RemoteCall = async (module, fn) => {
		calls.push(`${module}:${fn}`);
		return module === 'erlang'
			? [tuple(atom('registered_name'), []), tuple(atom('initial_call'), mfa('proc_lib', 'init_p', 5)), tuple(atom('current_function'), mfa('gen_server', 'loop', 7))]
			: mfa('mod_cron', 'init', 1);
	};
	t.deepEqual(await describeProcess(call, pid), {pid: 'pid_stand_in', initialCall: 'mod_cron:init/1', currentFunction: 'gen_server:loop/7'});
	t.deepEqual(calls, ['erlang:process_info', 'proc_lib:translate_initial_call']);
});

test('versions: ejabberd\'s application vsn and the OTP release; an odd answer is unknown, a node gone fails', async t => {
	const answers: Record<string, Term> = {get_key: tuple(atom('ok'), '24.12-3+deb13u2'), system_info: '27'};
	t.deepEqual(await readNodeVersions(async (_module, fn) => answers[fn] ?? atom('undefined')), {ejabberd: '24.12-3+deb13u2', otp: '27'});
	t.deepEqual(await readNodeVersions(async () => atom('undefined')), {});
	t.deepEqual(await readNodeVersions(async () => {
		throw new ReloaderError('ERR_NODE_COMMAND', 'badrpc');
	}), {});
	await t.throwsAsync(readNodeVersions(async () => {
		throw new ReloaderError('ERR_NODE_DOWN', 'gone', {retryable: true});
	}), {message: 'gone'});
});
