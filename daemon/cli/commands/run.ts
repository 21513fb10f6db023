import type {ResolvedConfig} from '../../config/schema.ts';
import {problemRecord} from '../../records.ts';
import type {Service} from '../../service/create-service.ts';
import {createCliService} from '../cli-service.ts';

/** The daemon's service (watcher, pipeline, HTTP API, log), started; used by `run` and `sandbox`. */
export async function startService(config: ResolvedConfig): Promise<Service> {
	const service = createCliService(config, {mode: 'daemon'});
	await service.start();
	return service;
}

/** Resolve on the first SIGINT/SIGTERM; a second one exits at once. */
export function waitForStopSignal(): Promise<string> {
	return new Promise(resolve => {
		let received = false;
		const onSignal = (signal: NodeJS.Signals) => {
			if (received) {
				process.exit(130);
			}
			received = true;
			resolve(`received ${signal}`);
		};
		process.on('SIGINT', onSignal);
		process.on('SIGTERM', onSignal);
	});
}

/**
 * The daemon until SIGINT/SIGTERM. SIGHUP (`systemctl reload`) reconfigures:
 * it reads the config file again and hands it to the service, which applies
 * it only once the whole new pipeline checked out; a file that does not even
 * parse is refused the same way. Nothing about a reconfiguration can stop the
 * process. ("Reload" is the word for loading code.)
 */
export async function runCommand(config: ResolvedConfig, readConfig: () => Promise<ResolvedConfig>): Promise<number> {
	const service = createCliService(config, {mode: 'daemon'});
	const reconfigure = () => {
		readConfig().then(
			async next => service.reconfigure(next),
			async (error: unknown) => service.reconfigure(error instanceof Error ? error : new Error(String(error))),
		).catch((error: unknown) => {
			// reconfigure() refuses rather than throws; anything else is a bug, and must still not end the process.
			service.records.publish(problemRecord(error, 'error', 'SIGHUP: the reconfiguration failed unexpectedly, the running configuration is kept'));
		});
	};
	// Listening from the first moment: SIGHUP's default action would end the process.
	let started = false;
	let hangupWhileStarting = false;
	const onHangup = () => {
		if (started) {
			reconfigure();
		} else {
			hangupWhileStarting = true;
		}
	};
	process.on('SIGHUP', onHangup);
	try {
		await service.start();
	} catch (error) {
		process.off('SIGHUP', onHangup);
		throw error;
	}
	started = true;
	if (hangupWhileStarting) {
		reconfigure();
	}
	const reason = await waitForStopSignal();
	process.off('SIGHUP', onHangup);
	await service.close(reason);
	return 0;
}
