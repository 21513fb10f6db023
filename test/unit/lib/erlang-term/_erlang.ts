import {execFile} from 'node:child_process';
import {promisify} from 'node:util';

const execFileAsync = promisify(execFile);

export const ERL = '/usr/bin/erl';
export const ERLC = '/usr/bin/erlc';

/**
 * Run `erl -noshell -eval <script> -s init stop` (no shell involved) and return
 * its standard output. The script prints; it must not halt on its own.
 */
export async function runErlang(script: string): Promise<string> {
	const {stdout} = await execFileAsync(ERL, ['-noshell', '-eval', script, '-s', 'init', 'stop'], {maxBuffer: 64 * 1024 * 1024, timeout: 60_000});
	return stdout;
}

export async function compileErlang(source: string, outputDirectory: string): Promise<void> {
	await execFileAsync(ERLC, ['-o', outputDirectory, source], {timeout: 60_000});
}
