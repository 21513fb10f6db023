import test from 'ava';
import {levelOf, summarize} from '../../../daemon/log/format-record.ts';
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
