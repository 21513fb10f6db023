import {classificationOf, type BatchRecord} from '../reloader/batch-record.ts';
import type {Answer} from './answer.ts';

/**
 * A batch as the update endpoints answer it: 200 when it is ok, 500 when a
 * module failed, 409 when nothing failed but a changed module is out of
 * reach (its new code was NOT loaded: the transport cannot load it; `hint`
 * says what can). A cluster batch also answers `nodes`, each member's
 * outcome; it is 503 when every member it was for was unreachable (as a
 * single node that is down), and 500 when it is not ok for another reason
 * (a member skipped or lagging, even with nothing failed).
 */
export function batchAnswer(record: BatchRecord): Answer {
	const away = allUnreachable(record);
	return {
		status: away ? 503 : record.failed.length > 0 ? 500 : record.ok ? 200 : record.outOfReach.length > 0 ? 409 : 500,
		...(away ? {headers: {'Retry-After': '5'}} : {}),
		body: {
			ok: record.ok,
			node: record.node,
			transport: record.transport,
			versions: record.versions,
			batch: record.id,
			purge: record.purge,
			retried: record.retried,
			...classificationOf(record),
			holders: record.holders,
			killed: record.killed,
			unpurged: record.unpurged,
			...(record.hint === undefined ? {} : {hint: record.hint}),
			durations: record.durations,
			verifiedBy: record.verifiedBy,
			// A cluster batch: each member's outcome (the lists above sum them up).
			...(record.nodes === undefined ? {} : {nodes: record.nodes}),
		},
	};
}

/** A cluster batch none of whose members could be reached: the members a request named are all down. */
function allUnreachable(record: BatchRecord): boolean {
	const outcomes = Object.values(record.nodes ?? {});
	return outcomes.length > 0 && outcomes.every(({state}) => state === 'unreachable');
}
