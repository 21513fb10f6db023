#!/usr/bin/env node
import {Command} from 'commander';
import {loadConfig} from '../config/load-config.ts';
import type {ResolvedConfig} from '../config/schema.ts';
import {infoCommand} from './commands/info.ts';
import {onceCommand} from './commands/once.ts';
import {runCommand} from './commands/run.ts';
import {addSandboxFlags, sandboxCommand, type SandboxFlags} from './commands/sandbox.ts';
import {addTailFlags, tailCommand, type TailFlags} from './commands/tail.ts';
import {addConfigFlags, flagsToConfig, type ConfigFlags} from './config-flags.ts';
import {EXIT_USAGE, reportFatal} from './exit-codes.ts';
import {captureProcessWarnings, logFormatInArgv, setWarningLineFormat} from './process-warnings.ts';
import {readVersion} from './read-version.ts';

/** A command gets the validated config, and a way to read it again (SIGHUP) with the same file and flags. */
type Action = (config: ResolvedConfig, readConfig: () => Promise<ResolvedConfig>) => Promise<number>;

/** Load and validate the config first (exit 2 on any problem), then run the command. */
function withConfig(action: Action): (flags: ConfigFlags) => Promise<void> {
	return async flags => {
		let code: number;
		try {
			const readConfig = () => loadConfig(flags.config, flagsToConfig(flags));
			const config = await readConfig();
			setWarningLineFormat(config.log.format);
			code = await action(config, readConfig);
		} catch (error) {
			code = reportFatal(error);
		}
		process.exitCode = code;
	};
}

// Node's own warnings become log lines in the log's format, not raw stderr.
captureProcessWarnings();
setWarningLineFormat(logFormatInArgv(process.argv) ?? 'pretty');

const program = new Command('ejabberd-reloader')
	.description('Hot-reloads modified Erlang modules in a running ejabberd node after `make install`.')
	.version(readVersion())
	.showHelpAfterError()
	.exitOverride(error => {
		// commander's own usage errors (unknown option, bad choice) are usage errors: exit 2.
		process.exit(error.exitCode === 0 ? 0 : EXIT_USAGE);
	});

addConfigFlags(program.command('run', {isDefault: true}).description('watch the install directory and reload changed modules (the daemon)'))
	.action(withConfig(runCommand));
addConfigFlags(program.command('once').description('update every modified module once, print the result as JSON; exit 1 if any failed'))
	.action(withConfig(onceCommand));
addConfigFlags(program.command('info').description('print the loaded modules whose code differs from their beam (update_info lists, and contrib ebins over dist); loads nothing'))
	.action(withConfig(infoCommand));
addSandboxFlags(addConfigFlags(program.command('sandbox').description('start a throwaway ejabberd node from the system install and run the daemon against it')))
	.action((flags: ConfigFlags & SandboxFlags) => withConfig(config => sandboxCommand(config, flags))(flags));
addTailFlags(program.command('tail').description('print the daemon\'s events as they happen (its GET /events stream); reconnects until Ctrl-C'))
	.action(async (flags: TailFlags) => {
		process.exitCode = await tailCommand(flags);
	});

await program.parseAsync();
