import test from 'ava';
import {batchAnswer} from '../../daemon/api/batch-answer.ts';
import {formatEvent} from '../../daemon/api/event-stream.ts';
import {BATCH_FIELDS, BATCH_FIELD_NAMES, type BatchField} from '../../daemon/batch-fields.ts';
import {formatEventLine} from '../../daemon/cli/tail/event-line.ts';
import type {BatchRecord} from '../../daemon/reloader/batch-record.ts';

/**
 * A batch record with every field set (Required: a field added to BatchRecord
 * does not compile until it is here), each with a value of its own, and the
 * text by which the `tail` line shows each.
 */
const record: Required<BatchRecord> = {
	event: 'batch',
	id: 4242,
	trigger: 'caughtUp',
	node: 'primary@h1',
	transport: 'dist',
	versions: {ejabberd: '99.01', otp: '77'},
	ok: false,
	purge: 'soft',
	retried: ['mod_retried'],
	listed: ['mod_listed'],
	updated: ['mod_updated'],
	unchanged: ['mod_unchanged'],
	notLoaded: ['mod_notloaded'],
	failed: [{module: 'mod_failed', reason: 'reason_failed'}],
	deferred: ['mod_deferred'],
	outOfReach: ['mod_outofreach'],
	heldBack: ['mod_heldback'],
	holders: [{module: 'mod_heldback', processes: [{pid: '<0.4343.0>', name: 'holder_loop'}]}],
	killed: [{module: 'mod_killed', processes: [{pid: '<0.4444.0>'}]}],
	verifiedBy: 'content',
	unpurged: [{module: 'mod_unpurged', processes: [{pid: '<0.4545.0>', name: 'unpurged_loop'}]}],
	hint: 'hint_of_the_batch',
	raw: {updateInfo: 'raw_update_info', update: 'raw_update'},
	durations: {waitMs: 4646, updateInfoMs: 1, updateMs: 2, verifyMs: 3, totalMs: 4747},
	running: {mod_updated: 'running_md5_0123456789abcdef'},
	nodes: {'member@h2': {state: 'lagging', ok: false, updated: [], unchanged: [], notLoaded: [], failed: [], deferred: [], outOfReach: [], heldBack: [], versions: {}, running: {}, disk: {}, killed: [], unpurged: null}},
};

/** What shows a field on the line. */
const onLine: {readonly [K in BatchField]: string} = {
	event: 'batch',
	id: '4242',
	trigger: '(caughtUp)',
	node: 'primary@h1',
	transport: 'dist',
	versions: '99.01',
	ok: 'NOT ok',
	purge: 'soft',
	retried: 'mod_retried',
	listed: 'mod_listed',
	updated: 'mod_updated',
	unchanged: 'mod_unchanged',
	notLoaded: 'mod_notloaded',
	failed: 'reason_failed',
	deferred: 'mod_deferred',
	outOfReach: 'mod_outofreach',
	heldBack: 'mod_heldback',
	holders: 'holder_loop <0.4343.0>',
	killed: 'mod_killed',
	verifiedBy: 'content',
	unpurged: 'unpurged_loop <0.4545.0>',
	hint: 'hint_of_the_batch',
	raw: 'raw_update_info',
	durations: 'total=4747ms',
	running: 'running_md5_0123456789abcdef',
	nodes: 'member@h2 lagging',
};

test('the table names every field of the record, and only those', t => {
	t.deepEqual([...BATCH_FIELD_NAMES].sort(), Object.keys(record).sort());
	for (const field of BATCH_FIELD_NAMES) {
		const {answer, line} = BATCH_FIELDS[field];
		t.regex(answer, /^(shown|shown as \w+|omitted: .{10,})$/, `${field}: a field the answer leaves out says why`);
		t.regex(line, /^(shown|shown with \w+|omitted: .{10,})$/, `${field}: a field the line leaves out says why`);
	}
});

test('the HTTP answer carries every field the table shows, under its name, and no other', t => {
	const body = batchAnswer(record).body as Record<string, unknown>;
	const expected: string[] = [];
	for (const field of BATCH_FIELD_NAMES) {
		const answer: string = BATCH_FIELDS[field].answer;
		if (answer.startsWith('omitted')) {
			continue;
		}
		const name = answer.startsWith('shown as ') ? answer.slice('shown as '.length) : field;
		expected.push(name);
		t.deepEqual(body[name], record[field], `${field} is in the answer as ${name}`);
	}
	t.deepEqual(Object.keys(body).sort(), expected.sort());
});

test('the SSE event is the whole record', t => {
	const data = /^data: (.*)$/m.exec(formatEvent(1, record))?.[1] ?? '';
	t.deepEqual(JSON.parse(data), record);
});

test('the tail line (the log\'s pretty line) shows every field the table shows there', t => {
	const line = formatEventLine({event: 'batch', id: '1', data: JSON.stringify(record)}, {colors: false, now: new Date()});
	for (const field of BATCH_FIELD_NAMES) {
		if (!BATCH_FIELDS[field].line.startsWith('omitted')) {
			t.true(line.includes(onLine[field]), `${field}: ${JSON.stringify(onLine[field])} is on the line ${JSON.stringify(line)}`);
		}
	}
});
