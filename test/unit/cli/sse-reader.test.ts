import test from 'ava';
import fc from 'fast-check';
import {SseParser, type SseEvent} from '../../../daemon/cli/sse-reader.ts';

/** What the daemon sends: the retry advice, two records, pings between them. */
const wire = 'retry: 2000\n\nid: 1\nevent: batch\ndata: {"event":"batch","id":3}\n\n: ping\n\nid: 2\nevent: init\ndata: {"event":"init","pending":["mod_é"]}\n\n';
const expected: SseEvent[] = [
	{event: 'batch', data: '{"event":"batch","id":3}', id: '1'},
	{event: 'init', data: '{"event":"init","pending":["mod_é"]}', id: '2'},
];

function parseAll(chunks: readonly string[]): {events: SseEvent[]; parser: SseParser} {
	const parser = new SseParser();
	return {events: chunks.flatMap(chunk => parser.push(chunk)), parser};
}

test('the daemon\'s stream in one piece gives its records in order, and the retry advice', t => {
	const {events, parser} = parseAll([wire]);
	t.deepEqual(events, expected);
	t.is(parser.retryMs, 2000);
});

test('the same events whatever the chunks are split at', t => {
	fc.assert(fc.property(fc.uniqueArray(fc.integer({min: 1, max: wire.length - 1}), {maxLength: 12}), cuts => {
		const points = [0, ...cuts.sort((a, b) => a - b), wire.length];
		const chunks = points.slice(1).map((end, index) => wire.slice(points[index], end));
		t.deepEqual(parseAll(chunks).events, expected);
	}));
});

test('one character at a time', t => {
	t.deepEqual(parseAll([...wire]).events, expected);
});

const lineEnds: ReadonlyArray<[string, string]> = [['CRLF', '\r\n'], ['CR', '\r'], ['LF', '\n']];
for (const [name, end] of lineEnds) {
	test(`lines ending in ${name}, also split between CR and LF`, t => {
		const text = wire.replaceAll('\n', end);
		t.deepEqual(parseAll([text]).events, expected);
		t.deepEqual(parseAll([...text]).events, expected);
	});
}

test('a CR at the end of a chunk and an LF after an empty chunk are one line end', t => {
	t.deepEqual(parseAll(['data: a\r', '', '\n\r', '\n']).events, [{event: 'message', data: 'a', id: ''}]);
});

test('multi-line data is joined with LF; no event name means `message`', t => {
	t.deepEqual(parseAll(['data: one\ndata:two\ndata\ndata:  three\n\n']).events, [{event: 'message', data: 'one\ntwo\n\n three', id: ''}]);
});

test('comments, unknown fields and blocks without data are not events', t => {
	const {events, parser} = parseAll([': hello\n\nfoo: bar\n\nretry: soon\n\nevent: lonely\n\n']);
	t.deepEqual(events, []);
	t.is(parser.retryMs, undefined);
});

test('an event cut off by the end of the stream is not dispatched', t => {
	t.deepEqual(parseAll(['id: 9\nevent: batch\ndata: {"half":']).events, []);
});

test('the id is kept for later events until changed; one with NUL is ignored', t => {
	const {events} = parseAll(['id: 7\ndata: a\n\ndata: b\n\nid: x\0y\ndata: c\n\n']);
	t.deepEqual(events.map(event => event.id), ['7', '7', '7']);
});

test('a byte order mark opening the stream is skipped', t => {
	t.deepEqual(parseAll(['\uFEFFdata: a\n\n']).events, [{event: 'message', data: 'a', id: ''}]);
});
