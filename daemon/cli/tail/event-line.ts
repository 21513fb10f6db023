import {levelOf, detailLines, summarize, type LogLevel} from '../../log/format-record.ts';
import type {DaemonRecord} from '../../records.ts';
import type {SseEvent} from '../sse-reader.ts';

// The colours winston gives these levels in the daemon's own pretty log (ANSI
// red, yellow, green, blue). The caller decides whether stdout takes colour.
const levelColors: Readonly<Record<LogLevel, number>> = {error: 31, warn: 33, info: 32, debug: 34};

/**
 * One event as the daemon's pretty log prints it: time (when it arrived,
 * local `HH:mm:ss.SSS`; records carry none), level, summary; a cluster batch
 * is followed by one such line per member (several lines, joined by `\n`).
 * An event this version cannot read (a newer daemon's) is shown raw rather
 * than dropped.
 */
export function formatEventLine(event: SseEvent, options: {readonly colors: boolean; readonly now: Date}): string {
	const raw = [{level: 'info' as const, text: `${event.event} ${event.data}`}];
	let lines: readonly {readonly level: LogLevel; readonly text: string}[];
	try {
		const record = JSON.parse(event.data) as DaemonRecord;
		// undefined for an event this version does not know.
		const summary = summarize(record) as string | undefined;
		lines = summary === undefined ? raw : [{level: levelOf(record) ?? 'info', text: summary}, ...detailLines(record)];
	} catch {
		lines = raw;
	}
	const time = clockTime(options.now);
	return lines.map(({level, text}) => `${time} ${options.colors ? `\u001B[${levelColors[level] ?? 32}m${level.padEnd(5)}\u001B[39m` : level.padEnd(5)} ${text}`).join('\n');
}

/** `--json`: the record as the daemon sent it, one JSON document per line. */
export function formatEventJson(event: SseEvent): string {
	if (!event.data.includes('\n')) {
		return event.data;
	}
	try {
		return JSON.stringify(JSON.parse(event.data));
	} catch {
		return JSON.stringify({event: event.event, data: event.data});
	}
}

function clockTime(date: Date): string {
	const pad = (value: number, width = 2) => String(value).padStart(width, '0');
	return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}
