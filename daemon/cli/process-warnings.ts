import {escapeUntrusted} from '../errors.ts';
import {summarize} from '../log/format-record.ts';
import {journaldPrefix, stderrIsJournal} from '../log/journald-priority.ts';
import {formatJsonLine} from '../log/line-formats.ts';
import type {RecordBus} from '../record-bus.ts';
import type {ProblemRecord} from '../records.ts';

/**
 * Node prints its own warnings (`MaxListenersExceededWarning`, deprecations)
 * as raw lines on stderr, which break a JSON log. The CLI takes them over:
 * once the service exists they are records like any other (log, `/events`),
 * before that (and after it closed) one stderr line in the log's format.
 */
export const NODE_WARNING_CODE = 'WARN_NODE_PROCESS';

/** Longer warning texts are cut: a warning is a line, not a dump. */
const MAX_WARNING_LENGTH = 2000;

let records: RecordBus | undefined;
let lineFormat: 'json' | 'pretty' = 'pretty';
let captured = false;

/**
 * Replace Node's warning printer by ours; idempotent. With `--no-warnings`
 * (or NODE_NO_WARNINGS=1) Node installed no printer, and there is nothing to
 * take over: warnings stay silent as asked.
 */
export function captureProcessWarnings(): void {
	if (captured) {
		return;
	}
	captured = true;
	if (process.listenerCount('warning') === 0) {
		return;
	}
	process.removeAllListeners('warning');
	process.on('warning', onWarning);
}

/**
 * The log format the command line asks for (`--log-format json`), for the
 * warnings that come before the config is read; undefined when not given.
 */
export function logFormatInArgv(argv: readonly string[]): 'json' | 'pretty' | undefined {
	let found: string | undefined;
	argv.forEach((argument, index) => {
		if (argument === '--log-format') {
			found = argv[index + 1];
		} else if (argument.startsWith('--log-format=')) {
			found = argument.slice('--log-format='.length);
		}
	});
	return found === 'json' || found === 'pretty' ? found : undefined;
}

/** The format of the stderr line written while no service takes warnings; set once the config is known. */
export function setWarningLineFormat(format: 'json' | 'pretty'): void {
	lineFormat = format;
}

/**
 * Publish warnings on this bus from now on, while anyone listens to it (the
 * log unsubscribes when the service closes). Returns the undo.
 */
export function routeWarningsTo(bus: RecordBus): () => void {
	records = bus;
	return () => {
		if (records === bus) {
			records = undefined;
		}
	};
}

/** A Node warning as a warn record: its name, its code if it has one, its text escaped. */
export function warningRecord(warning: Error & {code?: unknown}): ProblemRecord {
	const code = typeof warning.code === 'string' ? ` [${warning.code}]` : '';
	// --trace-warnings asks for the stack, as Node's own printer would give it.
	const text = (process as {traceProcessWarnings?: boolean}).traceProcessWarnings === true && warning.stack !== undefined ? warning.stack : `${warning.name}: ${warning.message}`;
	return {
		event: 'error',
		severity: 'warn',
		code: NODE_WARNING_CODE,
		message: `Node.js warning${code}: ${escapeUntrusted(text, MAX_WARNING_LENGTH)}`,
	};
}

/** One line as the logger would write the record, for when there is no logger. */
export function formatWarningLine(record: ProblemRecord, format: 'json' | 'pretty', journal: boolean): string {
	const {event, ...fields} = record;
	const line = format === 'json'
		? formatJsonLine({level: 'warn', event, ...fields})
		: `${localTime(new Date())} warn  ${summarize(record)}`;
	return `${journal ? journaldPrefix('warn') : ''}${line}\n`;
}

/** `HH:mm:ss.SSS`, as the pretty log's lines start. */
function localTime(now: Date): string {
	return `${now.toTimeString().slice(0, 8)}.${String(now.getMilliseconds()).padStart(3, '0')}`;
}

function onWarning(warning: Error): void {
	const record = warningRecord(warning);
	if (records !== undefined && records.size > 0) {
		records.publish(record);
		return;
	}
	process.stderr.write(formatWarningLine(record, lineFormat, stderrIsJournal()));
}
