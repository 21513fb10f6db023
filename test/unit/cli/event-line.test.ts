import test from 'ava';
import {formatEventJson, formatEventLine} from '../../../daemon/cli/tail/event-line.ts';
import type {SseEvent} from '../../../daemon/cli/sse-reader.ts';
import type {DaemonRecord} from '../../../daemon/records.ts';

const now = new Date(2026, 10, 23, 9, 5, 7, 42);
const event = (record: unknown, name = 'x'): SseEvent => ({event: name, id: '1', data: JSON.stringify(record)});
const nodeDown: DaemonRecord = {event: 'node', node: 'n@h', state: 'down', reason: 'econnrefused'};

test('a line is the local time, the padded level and the record\'s summary', t => {
	t.is(formatEventLine(event({event: 'watch', directories: ['/ebin'], beams: 2}), {colors: false, now}), '09:05:07.042 info  watching 2 beams in /ebin');
	t.is(formatEventLine(event(nodeDown), {colors: false, now}), '09:05:07.042 warn  node n@h unreachable: econnrefused');
});

test('on a terminal the level is coloured as in the daemon\'s log', t => {
	t.is(formatEventLine(event(nodeDown), {colors: true, now}), '09:05:07.042 \u001B[33mwarn \u001B[39m node n@h unreachable: econnrefused');
});

test('an event this version cannot summarise is shown raw, not dropped', t => {
	t.is(formatEventLine({event: 'future', id: '2', data: '{"event":"future","x":1}'}, {colors: false, now}), '09:05:07.042 info  future {"event":"future","x":1}');
	t.is(formatEventLine({event: 'message', id: '', data: 'not json'}, {colors: false, now}), '09:05:07.042 info  message not json');
	t.is(formatEventLine({event: 'batch', id: '', data: '{"event":"batch"}'}, {colors: false, now}), '09:05:07.042 info  batch {"event":"batch"}');
});

test('--json passes the record through as one line', t => {
	t.is(formatEventJson(event(nodeDown)), JSON.stringify(nodeDown));
	t.is(formatEventJson({event: 'node', id: '', data: '{\n"a": 1\n}'}), '{"a":1}');
	t.is(formatEventJson({event: 'odd', id: '', data: 'two\nlines'}), '{"event":"odd","data":"two\\nlines"}');
});

test('tail shows a killed record as the daemon\'s warning line', t => {
	const killed = {event: 'killed', batch: 3, node: 'n@h', module: 'm', hint: 'h', processes: [{pid: '<0.5.0>', name: 'm_loop'}]};
	t.is(formatEventLine(event(killed, 'killed'), {colors: false, now}), '09:05:07.042 warn  batch 3: updating m on n@h KILLED 1 process(es) still running its old code (brutal purge): m_loop <0.5.0> (h)');
});
