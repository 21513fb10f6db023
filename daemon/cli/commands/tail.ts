import {Option, type Command} from 'commander';
import {EXIT_OK, reportFatal} from '../exit-codes.ts';
import {formatEventJson, formatEventLine} from '../tail/event-line.ts';
import {eventsUrl} from '../tail/events-url.ts';
import {followEvents} from '../tail/follow-events.ts';
import {readTailToken} from '../tail/read-token.ts';

export interface TailFlags {
	readonly url: string;
	readonly tokenFile?: string;
	readonly json?: boolean;
}

export const DEFAULT_API_URL = 'http://127.0.0.1:5290';

export function addTailFlags(command: Command): Command {
	return command
		.option('--url <url>', 'the daemon\'s API, its api.listen', DEFAULT_API_URL)
		.addOption(new Option('--token-file <file>', 'file holding the API token (the daemon\'s api.tokenFile); never the token itself in argv').env('EJABBERD_RELOADER_TOKEN_FILE'))
		.option('--json', 'print each record as the daemon sent it, one JSON object per line');
}

/**
 * `tail`: the daemon's events as they happen, from its `GET /events` stream,
 * one line each on stdout. Outages are said once on stderr and outlived:
 * it reconnects until SIGINT/SIGTERM, then exits 0. A refused token exits 1.
 */
export async function tailCommand(flags: TailFlags): Promise<number> {
	const controller = new AbortController();
	const stop = () => controller.abort();
	process.once('SIGINT', stop);
	process.once('SIGTERM', stop);
	// `tail | head`: a reader gone is the end, not a crash.
	process.stdout.on('error', stop);
	try {
		const url = eventsUrl(flags.url);
		const token = flags.tokenFile === undefined ? undefined : await readTailToken(flags.tokenFile, warning => say(warning));
		const colors = process.stdout.isTTY === true;
		let everConnected = false;
		await followEvents({
			url,
			token,
			signal: controller.signal,
			onEvent(event) {
				console.log(flags.json === true ? formatEventJson(event) : formatEventLine(event, {colors, now: new Date()}));
			},
			onConnected(again) {
				everConnected = true;
				say(again ? `reconnected to ${url.href}; events sent while away are not shown` : `following ${url.href}`);
			},
			onLost(reason, retryInMs) {
				say(everConnected
					? `lost the event stream from ${url.href}: ${reason}; reconnecting (first try in ${retryInMs} ms, then at most every 5 s)`
					: `cannot reach the daemon at ${url.href}: ${reason}; retrying until it is up (first try in ${retryInMs} ms, then at most every 5 s). Is \`ejabberd-reloader run\` running with api.enabled?`);
			},
		});
		return EXIT_OK;
	} catch (error) {
		// A refused token is exit 1, an unreadable token file or a bad --url exit 2.
		return reportFatal(error);
	} finally {
		process.off('SIGINT', stop);
		process.off('SIGTERM', stop);
		process.stdout.off('error', stop);
	}
}

function say(message: string): void {
	console.error(`ejabberd-reloader tail: ${message}`);
}
