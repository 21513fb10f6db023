import {fstatSync} from 'node:fs';
import test from 'ava';
import type {LogLevel} from '../../../daemon/log/format-record.ts';
import {isJournalStream, journaldPrefix, stderrIsJournal} from '../../../daemon/log/journald-priority.ts';

const prefixes: ReadonlyArray<[LogLevel, string]> = [['error', '<3>'], ['warn', '<4>'], ['info', '<6>'], ['debug', '<7>']];
for (const [level, prefix] of prefixes) {
	test(`${level} lines carry the sd-daemon priority ${prefix}`, t => {
		t.is(journaldPrefix(level), prefix);
	});
}

const stderr = {dev: 25n, ino: 123_456_789_012n};

test('stderr is the journal when JOURNAL_STREAM names its device and inode', t => {
	t.true(isJournalStream('25:123456789012', stderr));
});

test('an inherited JOURNAL_STREAM for another file is not the journal', t => {
	t.false(isJournalStream('25:99', stderr));
	t.false(isJournalStream('26:123456789012', stderr));
});

test('no or a malformed JOURNAL_STREAM, or no stderr, is not the journal', t => {
	t.false(isJournalStream(undefined, stderr));
	t.false(isJournalStream('', stderr));
	t.false(isJournalStream('25-123456789012', stderr));
	t.false(isJournalStream('25:123456789012', undefined));
});

test('stderrIsJournal compares JOURNAL_STREAM with this process\'s file descriptor 2', t => {
	const {dev, ino} = fstatSync(2, {bigint: true});
	t.true(stderrIsJournal({JOURNAL_STREAM: `${dev}:${ino}`}));
	t.false(stderrIsJournal({JOURNAL_STREAM: `${dev}:${ino + 1n}`}));
	t.false(stderrIsJournal({}));
});
