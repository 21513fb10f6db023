import {quoteUntrusted} from '../errors.ts';
import type {DaemonRecord} from '../records.ts';
import type {Transport, UpdateInfo} from '../transports/transport.ts';
import type {ScanHazard} from './settle-directory.ts';

export interface ScanHazardGuardOptions {
	readonly directories: readonly string[];
	readonly maxBeamBytes: number;
	/** Finds what ejabberd_update's scan of a directory cannot survive. */
	readonly find: (directory: string, maxBytes: number) => Promise<readonly ScanHazard[]>;
	/** Whether changed beams can still be loaded directly (said in the warning). */
	readonly canLoadBeam: boolean;
	readonly report: (record: DaemonRecord) => void;
}

/**
 * ejabberd_update's scan reads every `*.beam` of its directory whole, so a
 * FIFO there hangs it and a link to /dev/zero exhausts the node. This finds
 * such entries before a scan, warns once per set (WARN_SCAN_HAZARD), and
 * keeps the init step's update_info from being called while they are there.
 */
export class ScanHazardGuard {
	readonly #options: ScanHazardGuardOptions;
	/** The hazards last warned about (paths), so each set is reported once. */
	#reported = '';

	constructor(options: ScanHazardGuardOptions) {
		this.#options = options;
	}

	/** The entries of `directory` its scan cannot survive, described; none when it is safe. */
	async check(directory: string): Promise<string[]> {
		const {find, maxBeamBytes, canLoadBeam, report} = this.#options;
		const hazards = await find(directory, maxBeamBytes);
		const described = hazards.map(({path, what}) => `${quoteUntrusted(path, 300)} (${what})`);
		const key = hazards.map(({path}) => path).join('\0');
		if (key !== this.#reported) {
			this.#reported = key;
			if (hazards.length > 0) {
				report({
					event: 'error',
					severity: 'warn',
					code: 'WARN_SCAN_HAZARD',
					message: `ejabberd_update's scan of ${quoteUntrusted(directory, 300)} reads every *.beam whole, and ${hazards.length === 1 ? 'this entry' : `these ${hazards.length} entries`} would hang or exhaust the node: ${described.slice(0, 10).join(', ')}; update_info and update are not called while ${hazards.length === 1 ? 'it is' : 'they are'} there${canLoadBeam ? ': changed beams are loaded directly and verified by MD5' : ', so batches fail'}`,
					hint: 'Remove them from the ebin directory.',
				});
			}
		}
		return described;
	}

	/**
	 * The transport as the init step uses it: its update_info is not called
	 * while a watched directory holds hazards; the init record then lists
	 * nothing pending from it. A reconnect re-runs the init step, so this
	 * guards every one.
	 */
	guard(transport: Transport): Transport {
		const updateInfo = async (signal?: AbortSignal): Promise<UpdateInfo> => {
			for (const directory of this.#options.directories) {
				const hazards = await this.check(directory);
				if (hazards.length > 0) {
					return {modules: [], dir: directory, raw: `(not called: ${hazards.length} entries its scan cannot survive)`};
				}
			}
			return transport.updateInfo(signal);
		};
		return new Proxy(transport, {
			get(target, property) {
				if (property === 'updateInfo') {
					return updateInfo;
				}
				const value: unknown = Reflect.get(target, property, target);
				return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
			},
		});
	}
}
