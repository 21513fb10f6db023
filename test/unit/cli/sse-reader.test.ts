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

test('a line that never ends, or an event that never ends, past the bound is ERR_API (retryable), then and after', t => {
	for (const hostile of ['data: ' + 'x'.repeat(200), 'data: xxxxxxxxxx\n'.repeat(40), ': ' + 'p'.repeat(200)]) {
		const parser = new SseParser({maxEventChars: 100});
		const error = t.throws(() => {
			for (let index = 0; index < hostile.length; index += 7) {
				parser.push(hostile.slice(index, index + 7));
			}
		}, {code: 'ERR_API', message: /over 100 characters without ending a line or an event/});
		t.true((error as {retryable?: boolean} | undefined)?.retryable);
		t.throws(() => parser.push('data: fine\n\n'), {code: 'ERR_API'});
	}
});

test('whatever arrives, what the parser holds stays bounded (the bound plus one chunk): past it, it throws rather than buffers', t => {
	fc.assert(fc.property(fc.array(fc.string({unit: fc.constantFrom('a', ':', ' ', '\n', '\r', 'data: ', 'event: x', 'id: 1', '\uFEFF')}), {maxLength: 40}), chunks => {
		const parser = new SseParser({maxEventChars: 64});
		let fed = 0;
		for (const chunk of chunks) {
			fed += chunk.length;
			try {
				// The bound is checked after each push: an event it completes holds at most the bound plus that chunk.
				for (const event of parser.push(chunk)) {
					t.true(event.data.length <= 64 + chunk.length);
				}
			} catch (error) {
				// Only an overflow throws, and only once more than the bound was fed.
				t.is((error as {code?: string}).code, 'ERR_API');
				t.true(fed > 64);
				return;
			}
		}
	}));
});

test('the bound is far above the daemon\'s records: a 1 MiB record passes in 64 KiB chunks', t => {
	const record = `id: 1\nevent: batch\ndata: ${JSON.stringify({event: 'batch', updated: ['m'.repeat(1024 * 1024)]})}\n\n`;
	const parser = new SseParser();
	const events = [];
	for (let index = 0; index < record.length; index += 65_536) {
		events.push(...parser.push(record.slice(index, index + 65_536)));
	}
	t.is(events.length, 1);
	t.is(events[0]?.event, 'batch');
});
