import {dirname, join} from 'node:path';
import type {Command} from 'commander';
import {resolveConfig} from '../../config/resolve-config.ts';
import type {ResolvedConfig} from '../../config/schema.ts';
import {findEjabberdInstall} from '../../ejabberd/ejabberd-install.ts';
import {startSandboxNode} from '../../sandbox/sandbox-node.ts';
import {startService, waitForStopSignal} from './run.ts';
import {resolveSandboxModules} from './sandbox-modules.ts';

/** The sandbox's own flags, beside the config flags every command has. */
export interface SandboxFlags {
	/** `--module NAME`, repeatable: modules enabled in the sandbox's ejabberd.yml. */
	readonly module?: string[];
}

export function addSandboxFlags(command: Command): Command {
	return command.option(
		'--module <name|file.erl>',
		'enable this ejabberd module (with its default options) in the sandbox\'s ejabberd.yml; a source file is compiled first and its saves go live; repeatable',
		(name: string, previous: string[] = []) => [...previous, name],
	);
}

/**
 * The embedded default: a throwaway ejabberd node from the system install
 * (private copy of its ebin, private spool and contrib modules dir, loopback
 * listeners on free ports) with the daemon attached. Ctrl-C stops both and
 * removes the node's files.
 */
export async function sandboxCommand(config: ResolvedConfig, flags: SandboxFlags = {}): Promise<number> {
	const install = await findEjabberdInstall();
	// Checked (and source files compiled) before anything starts: a bad name or a broken module would only surface as a node that fails to boot.
	const {enabled: modules, beams, sourceDirs} = await resolveSandboxModules(flags.module ?? [], config, install);
	console.log(`Starting a throwaway ejabberd ${install.version} node (a private copy of ${install.libDir})...`);
	const stopRequested = waitForStopSignal();
	const node = await startSandboxNode({modules, beams});
	try {
		const reachesContrib = config.transport === 'auto' || config.transport === 'dist';
		// Whatever the transport, it is aimed at the sandbox node: ejabberdctl
		// with its config dir, the node's own cookie, its HTTP API port.
		const sandboxConfig = resolveConfig({
			...config,
			node: node.node,
			cookieFile: config.cookieFile ?? node.cookieFile,
			ctl: {...config.ctl, command: [...node.ctlCommand]},
			http: {...config.http, url: `http://127.0.0.1:${node.ports.http}/api`},
			// Over dist, `auto` finds the private ebin (update_info's) and follows the contrib modules dir, so a
			// module_install'ed module is watched and its sources compiled; ctl and http cannot load those anyway.
			watch: reachesContrib ? 'auto' : [node.ebinDir],
			// Save to live: what is saved in the sandbox's src is compiled into its ebin, besides the sources configured.
			sources: [
				...(reachesContrib ? ['auto'] : []),
				...(config.sources === 'auto' ? [] : config.sources.filter(entry => entry !== 'auto')),
				{dir: node.sourcesDir, ebin: node.ebinDir},
				// The directories of --module source files: each later save goes live.
				...sourceDirs.map(dir => ({dir, ebin: node.ebinDir})),
			],
		}, 'sandbox');
		const service = await startService(sandboxConfig);
		const ctl = node.ctlCommand.join(' ');
		console.log([
			'',
			`Node ${node.node} is running; the daemon is watching it.`,
			`Save module sources into: ${node.sourcesDir}`,
			'  each save is compiled as ejabberd compiles modules, then loaded; compiler errors show here as file:line:col',
			`Or install beams into: ${node.ebinDir}`,
			`  e.g. ERL_LIBS=${node.depsDir} erlc -pa ${node.ebinDir} -I ${join(dirname(node.ebinDir), 'include')} -o ${node.ebinDir} mod_hello.erl`,
			`  ejabberdctl: ${ctl} <command>`,
			`Its ejabberd.yml: ${node.configFile}`,
			`  modules enabled: ${modules.length > 0 ? [...new Set(modules)].join(', ') : 'none'}; add more under modules: (or --module NAME), then \`${ctl} reload_config\``,
			`Its contrib modules dir: ${node.contribDir}`,
			`  \`${ctl} module_install NAME\` installs there, never into the system's`,
			...(sandboxConfig.api.enabled ? [
				`HTTP API: http://${sandboxConfig.api.listen} (curl http://${sandboxConfig.api.listen}/update-modules/all; ejabberd-reloader tail --url http://${sandboxConfig.api.listen})`,
			] : []),
			`Press Ctrl-C to stop the node and remove ${node.dir}.`,
			'',
		].join('\n'));
		const reason = await stopRequested;
		await service.close(reason);
	} finally {
		await node.stop();
		console.log(`Stopped ${node.node} and removed ${node.dir}.`);
	}
	return 0;
}
