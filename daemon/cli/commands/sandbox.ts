import {resolveConfig} from '../../config/resolve-config.ts';
import type {ResolvedConfig} from '../../config/schema.ts';
import {findEjabberdInstall} from '../../ejabberd/ejabberd-install.ts';
import {startSandboxNode} from '../../sandbox/sandbox-node.ts';
import {startService, waitForStopSignal} from './run.ts';

/**
 * The embedded default: a throwaway ejabberd node from the system install
 * (private copy of its ebin, private spool, loopback listeners on free ports)
 * with the daemon attached. Ctrl-C stops both and removes the node's files.
 */
export async function sandboxCommand(config: ResolvedConfig): Promise<number> {
	const install = await findEjabberdInstall();
	console.log(`Starting a throwaway ejabberd ${install.version} node (a private copy of ${install.libDir})...`);
	const stopRequested = waitForStopSignal();
	const node = await startSandboxNode();
	try {
		// Whatever the transport, it is aimed at the sandbox node: ejabberdctl
		// with its config dir, the node's own cookie, its HTTP API port.
		const sandboxConfig = resolveConfig({
			...config,
			node: node.node,
			cookieFile: config.cookieFile ?? node.cookieFile,
			ctl: {...config.ctl, command: [...node.ctlCommand]},
			http: {...config.http, url: `http://127.0.0.1:${node.ports.http}/api`},
			watch: [node.ebinDir],
		}, 'sandbox');
		const service = await startService(sandboxConfig);
		console.log([
			'',
			`Node ${node.node} is running; the daemon is watching it.`,
			`Install beams into: ${node.ebinDir}`,
			`  e.g. erlc -o ${node.ebinDir} mod_hello.erl`,
			`  ejabberdctl: ${node.ctlCommand.join(' ')} <command>`,
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
