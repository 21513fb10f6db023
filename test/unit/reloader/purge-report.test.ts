import test from 'ava';
import {describeProcess, killedRecords, outOfReachHint, purgeTimeoutFailure} from '../../../daemon/reloader/purge-report.ts';

test('a process is its registered name, else what it was started in and runs', t => {
	t.is(describeProcess({pid: '<0.9.0>', name: 'ejabberd_mod_statsdx', currentFunction: 'mod_statsdx:loop/1'}), 'ejabberd_mod_statsdx <0.9.0>');
	t.is(describeProcess({pid: '<0.9.0>', initialCall: 'timer:apply_interval/4', currentFunction: 'mod_cron:loop/0'}), '<0.9.0> started in timer:apply_interval/4 running mod_cron:loop/0');
	t.is(describeProcess({pid: '<0.9.0>'}), '<0.9.0>');
});

test('a soft purge that timed out: the holders, the time held and how to force it', t => {
	const failure = purgeTimeoutFailure('mod_cron', [{pid: '<0.9.0>', name: 'cron_loop'}], 300_400);
	t.regex(failure.reason, /^held back for 300 s \(purgeSoftTimeoutMs\) by 1 process\(es\) still running its old code: cron_loop <0\.9\.0>; the new code was NOT loaded$/);
	t.is(failure.hint, 'Stop those processes, or force the update (they will be killed): POST /update-modules {"modules": ["mod_cron"], "purge": "brutal"}.');
	t.deepEqual(failure.holders, [{pid: '<0.9.0>', name: 'cron_loop'}]);
});

test('one killed record per module', t => {
	const records = killedRecords(4, 'n@h', [{module: 'a', processes: [{pid: '<0.1.0>'}]}, {module: 'b', processes: [{pid: '<0.2.0>'}]}]);
	t.deepEqual(records.map(({event, batch, node, module}) => ({event, batch, node, module})), [
		{event: 'killed', batch: 4, node: 'n@h', module: 'a'},
		{event: 'killed', batch: 4, node: 'n@h', module: 'b'},
	]);
	t.regex(records[0]?.hint ?? '', /purge: soft/);
});

test('out of reach: the hint names the transport that reaches it', t => {
	t.regex(outOfReachHint(['mod_x'], 'ctl', '/e/ebin'), /^NOT loaded: mod_x changed outside \/e\/ebin, .* the ctl transport .*use transport: dist/);
	t.regex(outOfReachHint(['mod_x'], 'http', undefined), /the one directory ejabberd_update scans.*transport: dist/);
	t.regex(outOfReachHint(['mod_x'], 'dist', '/e/ebin'), /loadNew: true/);
});
