import {ReloaderError} from '../../errors.ts';
import {isModuleName} from '../../modules/module-name.ts';
import {CallGate} from '../call-gate.ts';
import {CTL_CAPABILITIES} from '../capabilities.ts';
import {WithoutCodeAccess} from '../not-capable.ts';
import type {InitReport, NodeVersions, Transport, UpdateInfo, UpdateOutcome} from '../transport.ts';
import {readStatusVersion, readUpdateSaid} from '../update-said.ts';
import {runEjabberdctl} from './run-ejabberdctl.ts';

export interface CtlTransportOptions {
	/** argv prefix of ejabberdctl, e.g. `['ejabberdctl', '--config-dir', '/etc/x']`. */
	readonly command: readonly string[];
	/** Passed as `--node` when set; otherwise ejabberdctl's own default (ejabberdctl.cfg) applies. */
	readonly node?: string | undefined;
	readonly timeoutMs: number;
}

/**
 * The node through ejabberdctl. Every call boots an Erlang VM (about 270 ms).
 * ejabberdctl 23.01's `update` prints nothing either way; 24.12's prints
 * `Updated: M` or `Not updated: M` (read into `said`). Either way the reloader
 * verifies through a second `update_list`, and cannot know which processes
 * still run old code (`unpurged: null`).
 */
export class CtlTransport extends WithoutCodeAccess implements Transport {
	readonly kind = 'ctl';
	readonly capabilities = CTL_CAPABILITIES;
	readonly node: string;
	readonly #command: readonly string[];
	readonly #timeoutMs: number;
	/** One update_list/update at a time: each makes ejabberd_update read every beam of the ebin. */
	readonly #gate: CallGate;

	constructor(options: CtlTransportOptions) {
		super();
		this.#command = options.node === undefined ? options.command : [...options.command, '--node', options.node];
		this.#timeoutMs = options.timeoutMs;
		this.node = options.node ?? 'the node of ejabberdctl.cfg';
		this.#gate = new CallGate({node: this.node, callTimeoutMs: options.timeoutMs, slowCallLimitMs: options.timeoutMs});
	}

	/**
	 * ejabberdctl has no way to ask `code:is_loaded`; `update_list` calls into
	 * `ejabberd_update`, which loads it, and fails loudly if that is impossible.
	 */
	async ensureUpdaterLoaded(signal?: AbortSignal): Promise<InitReport> {
		await this.#run(['update_list'], signal);
		return {method: 'ejabberdctl update_list', wasLoaded: undefined, versions: await this.#versions(signal)};
	}

	/** `status` names ejabberd's version; the OTP release is not printed anywhere ejabberdctl reaches. Best effort. */
	async #versions(signal?: AbortSignal): Promise<NodeVersions> {
		const printed = await runEjabberdctl({command: this.#command, args: ['status'], timeoutMs: this.#timeoutMs, signal}).catch(() => '');
		const ejabberd = readStatusVersion(printed);
		return ejabberd === undefined ? {} : {ejabberd};
	}

	async updateInfo(signal?: AbortSignal): Promise<UpdateInfo> {
		const raw = await this.#run(['update_list'], signal);
		return {modules: parseUpdateList(raw), raw};
	}

	async update(modules: readonly string[], signal?: AbortSignal): Promise<UpdateOutcome> {
		const said: string[] = [];
		for (const module of modules) {
			// `update all` means every module to ejabberdctl: a beam named all.beam must not trigger that.
			if (!isModuleName(module) || module === 'all') {
				throw new ReloaderError('ERR_MODULE_NAME', `Refusing to send \`${module}\` to ejabberdctl update: not a module name it takes literally`, {
					hint: 'Rename the module; ejabberdctl reads `all` as every module.',
				});
			}
			said.push(await this.#run(['update', module], signal));
		}
		const raw = said.join('');
		const read = readUpdateSaid(raw);
		return read.size === 0 ? {raw} : {raw, said: read};
	}

	async close(): Promise<void> {
		// Nothing is held open between calls.
	}

	/**
	 * While ejabberd boots, its commands fail with exit 1 ("Unhandled exception")
	 * although the node answers. A failed command is followed by `status`: if
	 * the node is not fully started, the failure is a retryable node-down, so
	 * the batch is held back instead of lost.
	 */
	async #run(args: readonly string[], signal?: AbortSignal): Promise<string> {
		const [command] = args;
		if (command === 'update_list' || command === 'update') {
			return this.#gate.run('ejabberd_update', `ejabberdctl ${command}`, () => this.#runOnce(args, signal), signal);
		}
		return this.#runOnce(args, signal);
	}

	async #runOnce(args: readonly string[], signal?: AbortSignal): Promise<string> {
		try {
			return await runEjabberdctl({command: this.#command, args, timeoutMs: this.#timeoutMs, signal});
		} catch (error) {
			if (!(error instanceof ReloaderError) || error.code !== 'ERR_NODE_COMMAND' || await this.#isStarted(signal)) {
				throw error;
			}
			throw new ReloaderError('ERR_NODE_DOWN', `${this.node} is not fully started yet (ejabberdctl status), so \`${args.join(' ')}\` failed: ${error.message}`, {
				cause: error,
				retryable: true,
				hint: 'Nothing to do: the daemon retries once ejabberd has started.',
			});
		}
	}

	async #isStarted(signal?: AbortSignal): Promise<boolean> {
		return runEjabberdctl({command: this.#command, args: ['status'], timeoutMs: this.#timeoutMs, signal}).then(() => true, () => false);
	}
}

/** `update_list` prints one module per line; anything else is not a module. */
export function parseUpdateList(output: string): string[] {
	return output
		.split('\n')
		.map(line => line.trim())
		.filter(line => line !== '' && isModuleName(line));
}
