import type {IncomingMessage, ServerResponse} from 'node:http';
import {ReloaderError} from '../errors.ts';
import {resolveRequestedModules} from '../modules/requested-modules.ts';
import type {Answer} from './answer.ts';
import type {ApiDaemon} from './api-daemon.ts';
import {batchAnswer} from './batch-answer.ts';
import {RETRY_HINT} from './error-answer.ts';
import {parseModuleList} from './parse-module-list.ts';
import {readBody} from './read-body.ts';
import type {Handler} from './routes.ts';

export interface UpdateRoutes {
	readonly updateAll: Handler;
	readonly updateNamed: Handler;
	readonly updateInfo: Handler;
}

/** The original write-up's endpoints: update everything modified, update by name, list what is modified. */
export function createUpdateRoutes(daemon: ApiDaemon, bodyLimitBytes: number): UpdateRoutes {
	return {
		async updateAll() {
			assertConnected(daemon);
			return batchAnswer(await daemon.reconcile('api'));
		},
		async updateNamed(request: IncomingMessage, response: ServerResponse) {
			const body = await readBody(request, bodyLimitBytes, () => continueIfExpected(request, response));
			const names = parseModuleList(body);
			// A bad name is the request's fault whatever the node's state: 400/404 before 503.
			resolveRequestedModules(names, daemon.index);
			assertConnected(daemon);
			return batchAnswer(await daemon.update(names, 'api'));
		},
		async updateInfo(): Promise<Answer> {
			assertConnected(daemon);
			const info = await daemon.updateInfo();
			const {node, transport} = daemon.status();
			return {status: 200, body: {node, transport, modules: info.modules}};
		},
	};
}

/**
 * Answer 503 at once while the node is down: the queue is paused then, and a
 * request queued behind it would hang until the node comes back.
 */
function assertConnected(daemon: ApiDaemon): void {
	const {connected, node} = daemon.status();
	if (!connected) {
		throw new ReloaderError('ERR_NODE_DOWN', `The node ${node} is unreachable, or the daemon has not initialised it yet; nothing was queued`, {
			retryable: true,
			hint: RETRY_HINT,
		});
	}
}

/** The server handles `Expect: 100-continue` itself (checkContinue) so that a refused request is never sent its body. */
function continueIfExpected(request: IncomingMessage, response: ServerResponse): void {
	if (request.headers.expect?.toLowerCase() === '100-continue') {
		response.writeContinue();
	}
}
