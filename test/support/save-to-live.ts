import {writeFile} from 'node:fs/promises';
import {join} from 'node:path';
import type {DaemonRecord} from '../../daemon/records.ts';
import type {SandboxNode} from '../../daemon/sandbox/sandbox-node.ts';
import type {CompileRecord} from '../../daemon/sources/compile-record.ts';
import {nodeCall} from './ejabberd.ts';
import {batchWith, type RecordCollector} from './record-collector.ts';

export const isCompile = (record: DaemonRecord): record is CompileRecord => record.event === 'compile';

/** A compile round that compiled (or tried) `module`. */
export const compileOf = (module: string) => (record: DaemonRecord): record is CompileRecord => isCompile(record) && record.modules.some(entry => entry.module === module);

/** A module whose `version()` says which save it is; `extra`: forms before it (an include). */
export function probeSource(module: string, version: number, extra = ''): string {
	return `-module(${module}).\n-export([version/0]).\n${extra}version() -> ${version}.\n`;
}

/** The steps the save-to-live suites share: save and wait for the round and the batch, ask the node, wait out a save's last events. */
export class SaveToLive {
	readonly #records: RecordCollector;
	readonly #node: () => SandboxNode;
	readonly #src: () => string;

	constructor(records: RecordCollector, node: () => SandboxNode, src: () => string) {
		this.#records = records;
		this.#node = node;
		this.#src = src;
	}

	/** What the node's `module:version()` answers. */
	async versionIn(module: string): Promise<string> {
		return nodeCall(this.#node(), `${module}:version()`);
	}

	/** Save, then wait for the round that compiles the module and the batch that loads it. */
	async saveAndLoad(module: string, save: () => Promise<void>) {
		const since = this.#records.mark();
		await save();
		const compiled = await this.#records.waitFor(compileOf(module), {since, what: `the compile round of ${module}`});
		const batch = await this.#records.waitFor(batchWith(module, {settled: true}), {since, what: `the batch that loads ${module}`});
		return {compiled, batch, since};
	}

	/**
	 * Everything a save may still bring (editors' late events, the watcher's
	 * trailing re-check) is over once a later save's round has come: a
	 * sentinel module is saved and its round awaited. Returns the compile
	 * records since `since`, the sentinel's left out.
	 */
	async roundsSince(since: number): Promise<CompileRecord[]> {
		const sentinel = `live_sentinel_${this.#records.mark()}`;
		const mark = this.#records.mark();
		await writeFile(join(this.#src(), `${sentinel}.erl`), probeSource(sentinel, 1));
		await this.#records.waitFor(compileOf(sentinel), {since: mark, what: `the sentinel ${sentinel}'s round`});
		return this.#records.after(since).filter(isCompile).filter(record => !record.modules.some(entry => entry.module === sentinel));
	}
}
