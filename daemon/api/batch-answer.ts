import type {BatchRecord} from '../reloader/batch-record.ts';
import type {Answer} from './answer.ts';

/** A batch as the update endpoints answer it: 200 when nothing failed, 500 when something did. */
export function batchAnswer(record: BatchRecord): Answer {
	return {
		status: record.failed.length === 0 ? 200 : 500,
		body: {
			ok: record.ok,
			node: record.node,
			transport: record.transport,
			batch: record.id,
			updated: record.updated,
			unchanged: record.unchanged,
			notLoaded: record.notLoaded,
			failed: record.failed,
			deferred: record.deferred,
			outOfReach: record.outOfReach,
			heldBack: record.heldBack,
			holders: record.holders,
			killed: record.killed,
			durations: record.durations,
			verifiedBy: record.verifiedBy,
		},
	};
}
