import {execFile, type ExecFileException} from 'node:child_process';
import {ReloaderError} from '../../errors.ts';

export interface EjabberdctlCall {
	/** argv prefix: the program, then its fixed options. */
	readonly command: readonly string[];
	readonly args: readonly string[];
	readonly timeoutMs: number;
	readonly signal?: AbortSignal;
}

/** Exit codes of ejabberdctl 23.01 (see its `ejabberd_ctl.erl`). */
const EXIT_ERROR = 1;
const EXIT_USAGE = 2;
const EXIT_NODE_DOWN = 3;
const EXIT_WRONG_USER = 7;

/**
 * Run ejabberdctl once, never through a shell, and turn its exit code into a
 * typed error. Its stdout is the answer; on failure the first line it printed
 * is the reason (it appends its whole help text after usage and node-down errors).
 */
export function runEjabberdctl(call: EjabberdctlCall): Promise<string> {
	const [program, ...fixed] = call.command;
	if (program === undefined) {
		return Promise.reject(new TypeError('Expected `ctl.command` to name a program, got an empty list'));
	}
	const argv = [...fixed, ...call.args];
	const shown = [program, ...argv].join(' ');
	return new Promise((resolve, reject) => {
		execFile(program, argv, {timeout: call.timeoutMs, signal: call.signal, maxBuffer: 16 * 1024 * 1024, encoding: 'utf8'}, (error, stdout, stderr) => {
			if (error === null) {
				resolve(stdout);
				return;
			}
			if (error.name === 'AbortError') {
				reject(error);
				return;
			}
			reject(isStarting(stdout) ? startingError(shown, error) : toCtlError(error, shown, firstLine(stdout) ?? firstLine(stderr), call.timeoutMs));
		});
	});
}

function toCtlError(error: ExecFileException, shown: string, said: string | undefined, timeoutMs: number): ReloaderError {
	const reason = said === undefined ? '' : `: ${said}`;
	if (error.code === 'ENOENT') {
		return new ReloaderError('ERR_NODE_COMMAND', `Cannot run \`${shown}\`: the program was not found`, {
			cause: error,
			hint: 'Install ejabberd, or set `ctl.command` to the full path of ejabberdctl.',
		});
	}
	if (error.killed === true) {
		return new ReloaderError('ERR_NODE_TIMEOUT', `\`${shown}\` did not finish within ${timeoutMs} ms and was stopped`, {
			cause: error,
			retryable: true,
			hint: 'The node may be overloaded; raise `ctl.timeoutMs` if this persists.',
		});
	}
	switch (error.code as unknown) {
		case EXIT_NODE_DOWN: {
			return new ReloaderError('ERR_NODE_DOWN', `\`${shown}\` could not reach the node${reason}`, {
				cause: error,
				retryable: true,
				hint: 'Is ejabberd running (`ejabberdctl status`)? Check `node` and that this user shares the node\'s Erlang cookie.',
			});
		}
		case EXIT_WRONG_USER: {
			return new ReloaderError('ERR_NODE_COMMAND', `\`${shown}\` refused to run as this user${reason}`, {
				cause: error,
				hint: 'Run ejabberd-reloader as root or as the ejabberd user (the systemd unit does the latter).',
			});
		}
		case EXIT_USAGE: {
			return new ReloaderError('ERR_NODE_COMMAND', `\`${shown}\` rejected the command${reason}`, {
				cause: error,
				hint: 'This ejabberdctl may not know the command; ejabberd 23.01 is the version this daemon is made for.',
			});
		}
		case EXIT_ERROR:
		default: {
			return new ReloaderError('ERR_NODE_COMMAND', `\`${shown}\` failed with exit code ${String(error.code)}${reason}`, {
				cause: error,
				hint: 'See ejabberd.log on the node for the details.',
			});
		}
	}
}

/**
 * While ejabberd boots, the node answers before its command table exists:
 * every command then fails with `{aborted, {no_exists, [ejabberd_commands, ...]}}`
 * (seen on 23.01 right after a restart). That is a node not ready yet, not a
 * failed command.
 */
function isStarting(output: string): boolean {
	return output.includes('no_exists') && output.includes('ejabberd_commands');
}

function startingError(shown: string, cause: ExecFileException): ReloaderError {
	return new ReloaderError('ERR_NODE_DOWN', `\`${shown}\` reached the node while ejabberd is still starting (its command table does not exist yet)`, {
		cause,
		retryable: true,
		hint: 'Nothing to do: the daemon retries once ejabberd has started.',
	});
}

function firstLine(text: string): string | undefined {
	return text.split('\n').map(line => line.trim()).find(line => line !== '');
}
