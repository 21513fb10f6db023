import winston from 'winston';
import type {LogLevel} from './format-record.ts';
import {journaldPrefix} from './journald-priority.ts';

// logform's keys for the level before colouring and for the finished line (triple-beam).
const LEVEL = Symbol.for('level');
const MESSAGE = Symbol.for('message');

/** `time` only: the format winston calls `timestamp` would add both keys. */
const stampTime = winston.format(info => {
	info.time = new Date().toISOString();
	return info;
});

/** One JSON object per line: the record's fields, `level`, `message` and an ISO `time`. */
export function jsonLineFormat(): winston.Logform.Format {
	return winston.format.combine(stampTime(), winston.format.json());
}

const jsonFormat = jsonLineFormat();

/** One entry as the line `jsonLineFormat` prints, without the newline; for the log file. */
export function formatJsonLine(entry: Readonly<Record<string, unknown>>): string {
	const info = jsonFormat.transform({...entry} as winston.Logform.TransformableInfo);
	return String((info as unknown as Record<symbol, unknown>)[MESSAGE]);
}

/** `HH:mm:ss.SSS level message`, the level coloured when `colors`. */
export function prettyLineFormat(colors: boolean): winston.Logform.Format {
	const parts = [winston.format.timestamp({format: 'HH:mm:ss.SSS'})];
	if (colors) {
		parts.push(winston.format.colorize({level: true}));
	}
	// Colour codes take 10 characters that the terminal does not show.
	parts.push(winston.format.printf(info => `${String(info.timestamp)} ${info.level.padEnd(colors ? 15 : 5)} ${String(info.message)}`));
	return winston.format.combine(...parts);
}

/**
 * Prefix every line of the finished output with its journald priority. Every
 * line, because journald reads each one as its own entry and a message may
 * span several (a config error lists its problems).
 */
export function withJournaldPriority(format: winston.Logform.Format): winston.Logform.Format {
	const prefix = winston.format(info => {
		const raw = info as unknown as Record<symbol, unknown>;
		const priority = journaldPrefix((raw[LEVEL] ?? info.level) as LogLevel);
		raw[MESSAGE] = String(raw[MESSAGE]).split('\n').map(line => `${priority}${line}`).join('\n');
		return info;
	});
	return winston.format.combine(format, prefix());
}
