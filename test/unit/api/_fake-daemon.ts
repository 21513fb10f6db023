import type {PipelineStatus} from '../../../daemon/pipeline-status.ts';
import {startApiServer, type ApiServer, type ApiServerOptions} from '../../../daemon/api/api-server.ts';
import {BeamIndex} from '../../../daemon/modules/beam-index.ts';
import {RecordBus} from '../../../daemon/record-bus.ts';
import type {BatchRecord} from '../../../daemon/reloader/batch-record.ts';
import type {ServiceCalls} from '../../../daemon/service-calls.ts';
import type {UpdateInfo} from '../../../daemon/transports/transport.ts';

/** Just the daemon methods the server calls, with what each call asked for. */
export interface FakeDaemon extends ServiceCalls {
	connected: boolean;
	runningBatches: number;
	readonly calls: {method: 'reconcile' | 'update' | 'updateInfo'; names?: unknown; purge?: string; nodes?: readonly string[]}[];
	/** A cluster's members, as status() shows them; undefined: one node. */
	members: PipelineStatus['members'];
	/** What the next reconcile/update answers (or throws). */
	next: () => Promise<BatchRecord>;
	info: () => Promise<UpdateInfo>;
}

export function fakeDaemon(modules: readonly string[] = ['mod_a', 'mod_b']): FakeDaemon {
	const index = new BeamIndex();
	for (const module of modules) {
		index.notePath(module, `/ebin/${module}.beam`);
	}
	const daemon: FakeDaemon = {
		connected: true,
		runningBatches: 0,
		calls: [],
		index,
		next: async () => batchRecord(),
		info: async () => ({modules: ['mod_a'], raw: '[mod_a]'}),
		members: undefined,
		reconcile(_trigger, options) {
			daemon.calls.push({method: 'reconcile', ...(options?.nodes === undefined ? {} : {nodes: options.nodes})});
			return daemon.next();
		},
		update(names, _trigger, options) {
			daemon.calls.push({method: 'update', names, ...(options?.purge === undefined ? {} : {purge: options.purge}), ...(options?.nodes === undefined ? {} : {nodes: options.nodes})});
			return daemon.next();
		},
		updateInfo() {
			daemon.calls.push({method: 'updateInfo'});
			return daemon.info();
		},
		status(): PipelineStatus {
			return {
				node: 'fake@localhost', transport: 'dist', connected: daemon.connected, directories: ['/ebin'],
				unsettledBeams: 0, pendingChanges: 1, queuedBatches: 2, runningBatches: daemon.runningBatches,
				...(daemon.members === undefined ? {} : {members: daemon.members}),
			};
		},
	};
	return daemon;
}

/** The fields the API answers with; others (added as the reloader grows) are left out on purpose. */
export function batchRecord(overrides: Partial<BatchRecord> = {}): BatchRecord {
	return {
		event: 'batch', id: 7, trigger: 'api', node: 'fake@localhost', transport: 'dist', ok: true,
		listed: ['mod_a'], updated: ['mod_a'], unchanged: [], notLoaded: [], failed: [], deferred: [],
		verifiedBy: 'content', unpurged: [], raw: {updateInfo: '[mod_a]'},
		durations: {waitMs: 0, updateInfoMs: 1, updateMs: 2, verifyMs: 3, totalMs: 6},
		...overrides,
	} as BatchRecord;
}

export interface Served {
	readonly api: ApiServer;
	readonly daemon: FakeDaemon;
	readonly bus: RecordBus;
	readonly url: string;
}

/** A server on a free loopback port around a fake daemon, closed when the test ends. */
export async function serve(t: {teardown(fn: () => Promise<void>): void}, options: Partial<ApiServerOptions> & {daemon?: FakeDaemon} = {}): Promise<Served> {
	const daemon = options.daemon ?? fakeDaemon();
	const bus = new RecordBus();
	const api = await startApiServer({
		access: {address: {host: '127.0.0.1', port: 0}, token: undefined},
		records: bus,
		version: '9.9.9',
		drainTimeoutMs: 5000,
		...options,
		daemon,
	});
	t.teardown(() => api.close());
	return {api, daemon, bus, url: api.url};
}

export interface ErrorAnswer {
	readonly ok: false;
	readonly error: {readonly code: string; readonly message: string; readonly hint: string};
}
