import test from 'ava';
import {detailLines, levelOf, summarize} from '../../../daemon/log/format-record.ts';
import type {CompileRecord} from '../../../daemon/sources/compile-record.ts';
import type {BatchRecord} from '../../../daemon/reloader/batch-record.ts';

const batch: BatchRecord = {
	event: 'batch',
	id: 7,
	trigger: 'watch',
	node: 'n@localhost',
	transport: 'ctl',
	versions: {ejabberd: '24.12'},
	ok: false,
	purge: 'brutal',
	retried: [],
	listed: ['mod_a', 'mod_b'],
	updated: ['mod_a'],
	unchanged: [],
	notLoaded: ['mod_c'],
	failed: [{module: 'mod_b', reason: 'x'}],
	deferred: [],
	outOfReach: [],
	heldBack: [],
	holders: [],
	killed: [],
	verifiedBy: 'list',
	unpurged: null,
	raw: {updateInfo: 'mod_a\nmod_b\n', update: ''},
	durations: {waitMs: 310, updateInfoMs: 270.1, updateMs: 280, verifyMs: 265, totalMs: 815.1},
};

test('a batch line names its id, each non-empty class and every duration', t => {
	t.is(summarize(batch), 'batch 7 (watch) updated=[mod_a] notLoaded=[mod_c] failed=[mod_b (x)] wait=310ms update_info=270.1ms update=280ms verify=265ms total=815.1ms');
});

test('a batch with failures is a warning, one without is info', t => {
	t.is(levelOf(batch), 'warn');
	t.is(levelOf({...batch, ok: true, failed: []}), 'info');
});

test('an init line says whether ejabberd_update was loaded and what is pending', t => {
	const line = summarize({event: 'init', node: 'n@h', transport: 'ctl', method: 'code:ensure_loaded', wasLoaded: false, versions: {ejabberd: '23.01-1', otp: '25'}, pending: ['mod_a'], durationMs: 3});
	t.regex(line, /was not loaded, now loaded on n@h \(ejabberd 23\.01-1, OTP 25\)/);
	t.regex(line, /1 module\(s\) differ from disk: mod_a/);
});

test('a problem line carries its hint', t => {
	t.is(summarize({event: 'error', severity: 'warn', code: 'ERR_BEAM_INCOMPLETE', message: 'half', hint: 'again'}), 'half (again)');
});

test('a watched directory that goes is a warning, its return is info; a newer sibling is a warning that says what to do', t => {
	const gone = {event: 'directory', directory: '/x/ebin', state: 'gone'} as const;
	const back = {event: 'directory', directory: '/x/ebin', state: 'back'} as const;
	const sibling = {event: 'sibling', directory: '/lib/ejabberd-23.01/ebin', sibling: '/lib/ejabberd-24.02/ebin'} as const;
	t.is(levelOf(gone), 'warn');
	t.is(levelOf(back), 'info');
	t.is(levelOf(sibling), 'warn');
	t.regex(summarize(gone), /\/x\/ebin is gone/);
	t.regex(summarize(back), /back and watched again/);
	t.regex(summarize(sibling), /ejabberd-24\.02\/ebin.*point `watch` at it/);
});

test('a killed record is a warning line of its own naming each process and its module', t => {
	const killed = {
		event: 'killed', batch: 9, node: 'n@h', module: 'mod_cron', hint: 'restart what they did',
		processes: [{pid: '<n@h.120.0>', initialCall: 'timer:apply_interval/4', currentFunction: 'mod_cron:loop/1'}, {pid: '<n@h.121.0>', name: 'ejabberd_mod_statsdx'}],
	} as const;
	t.is(levelOf(killed), 'warn');
	t.is(summarize(killed), 'batch 9: updating mod_cron on n@h KILLED 2 process(es) still running its old code (brutal purge): <n@h.120.0> started in timer:apply_interval/4 running mod_cron:loop/1; ejabberd_mod_statsdx <n@h.121.0> (restart what they did)');
});

test('a batch line gives each failure\'s reason and hint, holders, unpurged, retries and the batch hint', t => {
	const line = summarize({
		...batch, updated: ['mod_l'], notLoaded: [], heldBack: ['mod_h'], retried: ['mod_h'],
		failed: [{module: 'mod_v', reason: 'its -vsn did not change', hint: 'Change or remove the -vsn attribute.'}],
		holders: [{module: 'mod_h', processes: [{pid: '<0.7.0>', name: 'h_loop'}]}],
		unpurged: [{module: 'mod_l', processes: [{pid: '<0.8.0>', name: 'l_loop'}]}],
		hint: 'Held back while processes run the old code.',
	});
	t.is(line, 'batch 7 (watch) retry of held-back mod_h; updated=[mod_l] failed=[mod_v (its -vsn did not change; Change or remove the -vsn attribute.)] heldBack=[mod_h (held by h_loop <0.7.0>)] unpurged=[mod_l: l_loop <0.8.0>] wait=310ms update_info=270.1ms update=280ms verify=265ms total=815.1ms -- Held back while processes run the old code.');
});

test('out of reach is a warning even with nothing failed; so is a batch that killed processes', t => {
	t.is(levelOf({...batch, ok: false, failed: [], outOfReach: ['mod_c']}), 'warn');
	t.is(levelOf({...batch, ok: true, failed: [], killed: [{module: 'mod_a', processes: [{pid: '<0.1.0>'}]}]}), 'warn');
});

const round: CompileRecord = {
	event: 'compile',
	round: 4,
	changed: ['/src/mod_a.erl', '/include/live.hrl'],
	modules: [
		{module: 'mod_a', source: '/src/mod_a.erl', ok: true, compileMs: 400},
		{module: 'mod_b', source: '/src/mod_b.erl', headers: ['/include/live.hrl'], ok: false, compileMs: 380},
	],
	compiled: ['mod_a'],
	failed: ['mod_b'],
	diagnostics: [
		{file: '/src/mod_b.erl', line: 12, column: 5, severity: 'error', message: 'syntax error before: \'}\''},
		{file: '/src/mod_a.erl', line: 3, column: 1, severity: 'warning', message: 'variable \'X\' is unused'},
	],
	ok: false,
	compiler: 'erlc (erlc)',
	durationMs: 812,
};

test('a compile line says what compiled and why, what did not and that the node keeps its last good beam', t => {
	t.is(summarize(round), 'compile 4 FAILED: compiled mod_a (mod_a.erl saved); did not compile mod_b (includes live.hrl): the node keeps its last good beam, the next good save goes through (1 error(s), 1 warning(s)); 812ms by erlc (erlc)');
	t.is(summarize({...round, ok: true, modules: round.modules.slice(0, 1), failed: [], diagnostics: []}), 'compile 4 ok: compiled mod_a (mod_a.erl saved); 812ms by erlc (erlc)');
});

test('a failed compile is an error, one with warnings a warning, a clean one info', t => {
	t.is(levelOf(round), 'error');
	t.is(levelOf({...round, ok: true, diagnostics: round.diagnostics.slice(1)}), 'warn');
	t.is(levelOf({...round, ok: true, diagnostics: []}), 'info');
});

test('each diagnostic follows on a line of its own as file:line:col, at its level, with the source\'s control bytes escaped', t => {
	t.deepEqual(detailLines({...round, diagnostics: [...round.diagnostics, {file: '/src/mod_c.erl', line: 1, column: 1, severity: 'error', message: 'illegal character \u001B[2J here'}]}), [
		{level: 'error', text: '/src/mod_b.erl:12:5: syntax error before: \'}\''},
		{level: 'warn', text: '/src/mod_a.erl:3:1: warning: variable \'X\' is unused'},
		{level: 'error', text: '/src/mod_c.erl:1:1: illegal character \\x1b[2J here'},
	]);
});
