import winston from 'winston';
import type {DaemonRecord} from '../records.ts';
import {levelOf, summarize, type LogLevel} from './format-record.ts';

export interface LoggerOptions {
	readonly level: LogLevel;
	readonly format: 'pretty' | 'json';
	/** Colour the pretty format; by default only when stderr is a terminal. */
	readonly colors?: boolean;
}

export interface RecordLogger {
	log(record: DaemonRecord): void;
	close(): Promise<void>;
}

/**
 * One line per record on stderr (stdout is kept for the CLI's answers, e.g.
 * `once` prints JSON there). `json`: the record's fields plus `time`, `level`
 * and a human `message`; `pretty`: time, level and the message.
 */
export function createRecordLogger(options: LoggerOptions): RecordLogger {
	const colors = options.colors ?? process.stderr.isTTY === true;
	const format = options.format === 'json'
		? winston.format.combine(winston.format.timestamp({alias: 'time'}), winston.format.json())
		: prettyFormat(colors);
	const logger = winston.createLogger({
		level: options.level,
		format,
		transports: [new winston.transports.Console({stderrLevels: ['error', 'warn', 'info', 'debug']})],
	});
	let closing: Promise<void> | undefined;
	return {
		log(record) {
			const {event, ...fields} = record;
			logger.log({level: levelOf(record), message: summarize(record), event, ...fields});
		},
		close() {
			closing ??= new Promise(resolve => {
				logger.on('finish', () => resolve());
				logger.end();
			});
			return closing;
		},
	};
}

function prettyFormat(colors: boolean): winston.Logform.Format {
	const parts = [winston.format.timestamp({format: 'HH:mm:ss.SSS'})];
	if (colors) {
		parts.push(winston.format.colorize({level: true}));
	}
	parts.push(winston.format.printf(info => `${String(info.timestamp)} ${info.level.padEnd(colors ? 15 : 5)} ${String(info.message)}`));
	return winston.format.combine(...parts);
}
