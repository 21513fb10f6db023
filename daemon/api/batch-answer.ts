import {BATCH_FIELDS, BATCH_FIELD_NAMES} from '../batch-fields.ts';
import type {BatchRecord} from '../reloader/batch-record.ts';
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
		body: answerBody(record),
	};
}

/** The record's fields as BATCH_FIELDS says the answer shows them (an absent optional one stays absent). */
function answerBody(record: BatchRecord): Record<string, unknown> {
	const body: Record<string, unknown> = {};
	for (const field of BATCH_FIELD_NAMES) {
		const shown: string = BATCH_FIELDS[field].answer;
		if (record[field] !== undefined && !shown.startsWith('omitted')) {
			body[shown.startsWith('shown as ') ? shown.slice('shown as '.length) : field] = record[field];
		}
	}
	return body;
}

/** A cluster batch none of whose members could be reached: the members a request named are all down. */
function allUnreachable(record: BatchRecord): boolean {
	const outcomes = Object.values(record.nodes ?? {});
	return outcomes.length > 0 && outcomes.every(({state}) => state === 'unreachable');
}
