import type {ServiceCalls} from '../service-calls.ts';
import type {EventStreams} from './event-stream.ts';
import type {Handler, RouteTable} from './routes.ts';
import {healthAnswer, statusAnswer, type StatusSource} from './status-routes.ts';
import {createUpdateRoutes} from './update-routes.ts';

export interface ApiRoutesOptions {
	readonly daemon: ServiceCalls;
	readonly status: StatusSource;
	readonly events: EventStreams;
	readonly bodyLimitBytes: number;
}

/** Every endpoint, with the methods it answers; anything else is 404 or 405. */
export function createApiRoutes(options: ApiRoutesOptions): RouteTable {
	const {daemon, status, events, bodyLimitBytes} = options;
	const update = createUpdateRoutes(daemon, bodyLimitBytes);
	return new Map<string, Readonly<Record<string, Handler>>>([
		// GET too, as in the original write-up: `curl .../update-modules/all` after `make install`.
		['/update-modules/all', {GET: update.updateAll, POST: update.updateAll}],
		['/update-modules', {GET: update.updateInfo, POST: update.updateNamed}],
		['/status', {GET: async () => statusAnswer(status)}],
		['/healthz', {GET: async () => healthAnswer(daemon)}],
		['/events', {
			GET: async (request, response) => {
				events.open(request, response);
				return undefined;
			},
		}],
	]);
}
