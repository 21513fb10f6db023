import type {IncomingMessage, ServerResponse} from 'node:http';
import {ReloaderError} from '../errors.ts';
import {resolveRequestedModules} from '../modules/requested-modules.ts';
import type {BatchRecord} from '../reloader/batch-record.ts';
import type {ServiceCalls} from '../service-calls.ts';
import type {Answer} from './answer.ts';
import {ApiError} from './api-error.ts';
import {batchAnswer} from './batch-answer.ts';
import {Coalescer} from './coalesce.ts';
import {RETRY_HINT} from './error-answer.ts';
import {parseUpdateRequest} from './parse-module-list.ts';
import {NODES_HINT, parseNodesQuery, parseReconcileBody, queryNamesNodes} from './parse-node-list.ts';
import {readBody} from './read-body.ts';
import type {Handler} from './routes.ts';

export interface UpdateRoutes {
	readonly updateAll: Handler;
	readonly updateNamed: Handler;
	readonly updateInfo: Handler;
}

/**
 * The original write-up's endpoints: update everything modified, update by
 * name, list what is modified. Identical update requests that arrive while
 * one waits for its turn share its batch (see Coalescer): a hundred
 * `GET /update-modules/all` cost at most two update_info scans, not a hundred.
 */
export function createUpdateRoutes(daemon: ServiceCalls, bodyLimitBytes: number): UpdateRoutes {
	const batches = new Coalescer<BatchRecord>();
	return {
		async updateAll(request: IncomingMessage, response: ServerResponse) {
			let fromBody: readonly string[] | undefined;
			if (request.method === 'POST') {
				assertJsonBody(request);
				// Read (bounded) even when empty, so that it is not taken for the next request.
				fromBody = parseReconcileBody(await readBody(request, bodyLimitBytes, () => continueIfExpected(request, response)));
			}
			const fromQuery = parseNodesQuery(request.url ?? '');
			if (fromQuery !== undefined && fromBody !== undefined) {
				throw new ApiError(400, 'ERR_API_BODY_SHAPE', 'The request names `nodes` twice, in the query (?nodes=) and in the body; give them once', {hint: NODES_HINT});
			}
			const nodes = fromQuery ?? fromBody;
			assertConnected(daemon);
			return batchAnswer(await batches.run(`all${nodesKey(nodes)}`, async () => whenConnected(daemon, async () => daemon.reconcile('api', nodes === undefined ? {} : {nodes}))));
		},
		async updateNamed(request: IncomingMessage, response: ServerResponse) {
			assertJsonBody(request);
			const body = await readBody(request, bodyLimitBytes, () => continueIfExpected(request, response));
			if (queryNamesNodes(request.url ?? '')) {
				// Refused rather than ignored: the update would reach every member.
				throw new ApiError(400, 'ERR_API_BODY_SHAPE', 'POST /update-modules takes `nodes` in its JSON body, not in the query (?nodes=)', {hint: NODES_HINT});
			}
			const {names, purge, nodes} = parseUpdateRequest(body);
			// A bad name is the request's fault whatever the node's state: 400/404 before 503.
			const modules = resolveRequestedModules(names, daemon.index).map(({module}) => module).sort();
			assertConnected(daemon);
			// A forced purge, or other members, is another request: it must never join (nor be joined by) a plain one.
			const key = `modules:${modules.join(',')}${purge === undefined ? '' : `;purge:${purge}`}${nodesKey(nodes)}`;
			const options = {...(purge === undefined ? {} : {purge}), ...(nodes === undefined ? {} : {nodes})};
			return batchAnswer(await batches.run(key, async () => whenConnected(daemon, async () => daemon.update(modules, 'api', options))));
		},
		async updateInfo(): Promise<Answer> {
			assertConnected(daemon);
			const info = await daemon.updateInfo();
			const {node, transport} = daemon.status();
			return {status: 200, body: {node, transport, modules: info.modules}};
		},
	};
}

/** The coalescing key's part for the members a request names: the same set in any order is the same request. */
function nodesKey(nodes: readonly string[] | undefined): string {
	return nodes === undefined ? '' : `;nodes:${[...nodes].sort().join(',')}`;
}

/**
 * Answer 503 at once while the node is down: the queue is paused then, and a
 * request queued behind it would hang until the node comes back.
 */
function assertConnected(daemon: Pick<ServiceCalls, 'status'>): void {
	const {connected, node} = daemon.status();
	if (!connected) {
		throw new ReloaderError('ERR_NODE_DOWN', `The node ${node} is unreachable, or the daemon has not initialised it yet; nothing was queued`, {
			retryable: true,
			hint: RETRY_HINT,
		});
	}
}

/** A joined call starts later than its requests were checked: check again, so it never waits on a paused queue. */
async function whenConnected(daemon: Pick<ServiceCalls, 'status'>, run: () => Promise<BatchRecord>): Promise<BatchRecord> {
	assertConnected(daemon);
	return run();
}

/**
 * A state-changing request must say it sends JSON. A web page can send
 * `text/plain` or a form to any address without asking, but `application/json`
 * only with the target's consent (a CORS preflight, which this API never grants).
 */
function assertJsonBody(request: IncomingMessage): void {
	const type = request.headers['content-type'];
	const media = type?.split(';')[0]?.trim().toLowerCase();
	if (media !== 'application/json') {
		throw new ApiError(415, 'ERR_API_CONTENT_TYPE', `${request.method ?? 'POST'} needs Content-Type: application/json, got ${type === undefined ? 'none' : JSON.stringify(type.slice(0, 100))}`, {
			hint: 'Send the header `Content-Type: application/json` (curl: -H \'Content-Type: application/json\'), e.g. curl -X POST -H \'Content-Type: application/json\' -d \'["mod_a"]\' URL.',
			// The body was not read: it must not be taken for the next request.
			headers: {Connection: 'close'},
		});
	}
}

/** The server handles `Expect: 100-continue` itself (checkContinue) so that a refused request is never sent its body. */
function continueIfExpected(request: IncomingMessage, response: ServerResponse): void {
	if (request.headers.expect?.toLowerCase() === '100-continue') {
		response.writeContinue();
	}
}
