import {Option, type Command} from 'commander';
import type {UserConfig} from '../config/schema.ts';

/** The flags every command shares; each overrides the same key of the config file. */
export function addConfigFlags(command: Command): Command {
	return command
		.option('-c, --config <file>', 'YAML config file (see config/config.example.yml)')
		.option('--node <name@host>', 'ejabberd node to update')
		.addOption(new Option('--transport <kind>', 'how to reach the node (default auto: dist when a cookie is readable, else ctl)').choices(['auto', 'dist', 'ctl', 'http']))
		.option('--cookie-file <file>', 'the node\'s Erlang cookie file, for dist (default ~/.erlang.cookie, else /var/lib/ejabberd/.erlang.cookie)')
		.option('--watch <dir...>', 'directories `make install` writes beams into (default: ejabberd\'s ebin)')
		.option('--sources <dir=ebin...>', 'compile the modules saved in dir into ebin, then load them (save to live)')
		.option('--debounce-ms <ms>', 'quiet window that closes a batch (default 300)')
		.option('--max-wait-ms <ms>', 'longest a batch waits from its first change (default 3000)')
		.option('--api-listen <host:port>', 'where the HTTP API listens (default 127.0.0.1:5290)')
		.option('--no-api', 'do not serve the HTTP API')
		.addOption(new Option('--log-level <level>', 'least severe level logged').choices(['error', 'warn', 'info', 'debug']))
		.addOption(new Option('--log-format <format>', 'log line format').choices(['pretty', 'json']));
}

export interface ConfigFlags {
	readonly config?: string;
	readonly node?: string;
	readonly transport?: string;
	readonly cookieFile?: string;
	readonly watch?: string[];
	readonly sources?: string[];
	readonly debounceMs?: string;
	readonly maxWaitMs?: string;
	readonly apiListen?: string;
	/** commander's `--no-api`: false when given. */
	readonly api?: boolean;
	readonly logLevel?: string;
	readonly logFormat?: string;
}

/** Flags as a partial config; values stay as typed so validation can quote them. */
export function flagsToConfig(flags: ConfigFlags): UserConfig {
	const log = {level: flags.logLevel, format: flags.logFormat};
	return {
		node: flags.node,
		transport: flags.transport,
		cookieFile: flags.cookieFile,
		watch: flags.watch,
		sources: flags.sources?.map(sourceOfFlag),
		debounceMs: toNumber(flags.debounceMs),
		maxWaitMs: toNumber(flags.maxWaitMs),
		log: log.level === undefined && log.format === undefined ? undefined : log,
		api: flags.apiListen === undefined && flags.api !== false ? undefined : {
			...(flags.apiListen === undefined ? {} : {listen: flags.apiListen}),
			...(flags.api === false ? {enabled: false} : {}),
		},
	} as UserConfig;
}

/** `dir=ebin`; without `=` the ebin is missing, which validation names. */
function sourceOfFlag(value: string): {dir: string; ebin?: string} {
	const at = value.lastIndexOf('=');
	return at === -1 ? {dir: value} : {dir: value.slice(0, at), ebin: value.slice(at + 1)};
}

function toNumber(value: string | undefined): number | string | undefined {
	if (value === undefined) {
		return undefined;
	}
	const number = Number(value);
	return value.trim() !== '' && Number.isFinite(number) ? number : value;
}
