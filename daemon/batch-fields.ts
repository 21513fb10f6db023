import type {BatchRecord} from './reloader/batch-record.ts';

/** How the HTTP answer of an update shows a field: as it is, under another name, or not, saying why. */
export type AnswerShown = 'shown' | `shown as ${string}` | `omitted: ${string}`;

/** How the batch's log line (also `tail`'s) shows a field: its own part, within another field's part, or not, saying why. */
export type LineShown = 'shown' | `shown with ${keyof BatchRecord & string}` | `omitted: ${string}`;

/**
 * Where each field of a batch record goes, declared once for every output.
 * The `/events` event is the record itself (JSON), so every field. The HTTP
 * answer (api/batch-answer.ts) and the log and `tail` line
 * (log/format-record.ts) are built from this table: a field added to
 * BatchRecord does not compile until it says here whether each shows it, and
 * if not, why. test/unit/batch-fields.test.ts checks each output against it.
 */
export const BATCH_FIELDS = {
	event: {answer: 'omitted: the endpoint says what the answer is', line: 'shown'},
	id: {answer: 'shown as batch', line: 'shown'},
	trigger: {answer: 'omitted: always api for a request', line: 'shown'},
	node: {answer: 'shown', line: 'omitted: one node per daemon, named by its start and init lines (a cluster\'s members have lines of their own)'},
	transport: {answer: 'shown', line: 'omitted: one transport per daemon, named by its start line'},
	versions: {answer: 'shown', line: 'omitted: the init line names them, after every (re)connect'},
	ok: {answer: 'shown', line: 'omitted: the level says it (warn when not ok)'},
	purge: {answer: 'shown', line: 'omitted: the configured one; a brutal purge that killed shows as killed'},
	retried: {answer: 'shown', line: 'shown'},
	listed: {answer: 'shown', line: 'omitted: every modified module of update_info\'s directory, not only this batch\'s; the JSON log, /events and /status carry it'},
	updated: {answer: 'shown', line: 'shown'},
	unchanged: {answer: 'shown', line: 'shown'},
	notLoaded: {answer: 'shown', line: 'shown'},
	failed: {answer: 'shown', line: 'shown'},
	deferred: {answer: 'shown', line: 'shown'},
	outOfReach: {answer: 'shown', line: 'shown'},
	heldBack: {answer: 'shown', line: 'shown'},
	holders: {answer: 'shown', line: 'shown with heldBack'},
	killed: {answer: 'shown', line: 'shown'},
	verifiedBy: {answer: 'shown', line: 'omitted: the transport decides it (content over dist), named by the start line'},
	unpurged: {answer: 'shown', line: 'shown'},
	hint: {answer: 'shown', line: 'shown'},
	raw: {answer: 'omitted: the node\'s raw answers, possibly long, for post-mortems: /events, /status\'s lastBatch and the log carry them', line: 'omitted: for post-mortems; the JSON log carries them'},
	durations: {answer: 'shown', line: 'shown'},
	running: {answer: 'shown', line: 'omitted: an MD5 per module is too long for a line (a cluster\'s members show theirs on their own lines)'},
	nodes: {answer: 'shown', line: 'shown'},
} as const satisfies {readonly [K in keyof Required<BatchRecord>]: {readonly answer: AnswerShown; readonly line: LineShown}};

export type BatchField = keyof typeof BATCH_FIELDS;

/** The fields the line shows in a part of their own: each needs its renderer (log/format-record.ts). */
export type LineField = {[K in BatchField]: (typeof BATCH_FIELDS)[K]['line'] extends 'shown' ? K : never}[BatchField];

/** Every field of the table, in its order. */
export const BATCH_FIELD_NAMES = Object.keys(BATCH_FIELDS) as readonly BatchField[];
