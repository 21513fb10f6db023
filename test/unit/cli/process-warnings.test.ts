import test from 'ava';
import {formatWarningLine, logFormatInArgv, NODE_WARNING_CODE, warningRecord} from '../../../daemon/cli/process-warnings.ts';

test('a Node warning becomes a warn record with its name and code', t => {
	const warning = Object.assign(new Error('an old API was used'), {name: 'DeprecationWarning', code: 'DEP0005'});
	t.deepEqual(warningRecord(warning), {
		event: 'error',
		severity: 'warn',
		code: NODE_WARNING_CODE,
		message: 'Node.js warning [DEP0005]: DeprecationWarning: an old API was used',
	});
});

test('a warning\'s text is escaped to one line and cut when long', t => {
	const warning = Object.assign(new Error(`line one\nline two \u001B[2J ${'x'.repeat(5000)}`), {name: 'TestWarning'});
	const {message} = warningRecord(warning);
	t.false(message.includes('\n') || message.includes('\u001B'));
	t.true(message.startsWith(String.raw`Node.js warning: TestWarning: line one\nline two \x1b[2J x`));
	t.regex(message, /…\(\d+ characters\)$/);
});

test('the stderr line matches the log format: JSON, pretty, with the journald prefix', t => {
	const record = warningRecord(Object.assign(new Error('leak'), {name: 'MaxListenersExceededWarning'}));
	const json = formatWarningLine(record, 'json', false);
	t.true(json.endsWith('}\n'));
	const parsed = JSON.parse(json) as Record<string, unknown>;
	t.like(parsed, {level: 'warn', event: 'error', severity: 'warn', code: NODE_WARNING_CODE, message: 'Node.js warning: MaxListenersExceededWarning: leak'});
	t.is(typeof parsed['time'], 'string');
	t.regex(formatWarningLine(record, 'pretty', false), /^\d\d:\d\d:\d\d\.\d{3} warn {2}Node\.js warning: MaxListenersExceededWarning: leak\n$/);
	t.true(formatWarningLine(record, 'json', true).startsWith('<4>{'));
});

test('the log format is found on the command line before the config is read', t => {
	t.is(logFormatInArgv(['node', 'main.js', 'run', '--log-format', 'json']), 'json');
	t.is(logFormatInArgv(['node', 'main.js', 'run', '--log-format=pretty']), 'pretty');
	t.is(logFormatInArgv(['node', 'main.js', 'run', '--log-format', 'xml']), undefined);
	t.is(logFormatInArgv(['node', 'main.js', 'run']), undefined);
});
