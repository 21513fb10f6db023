import test from 'ava';
import type {ErrorCode} from '../../../daemon/errors.ts';
import {toRequestError} from '../../../daemon/transports/http/request-error.ts';

const request = {url: 'http://127.0.0.1:5280/api/update_list', timeoutMs: 1000, timedOut: false};

function errno(code: string, message: string): Error {
	return Object.assign(new Error(message), {code});
}

/** What fetch throws: `TypeError: fetch failed` with the socket's error as cause. */
function fetchFailed(cause: unknown): TypeError {
	return new TypeError('fetch failed', {cause});
}

const maps = test.macro({
	exec(t, error: unknown, code: ErrorCode, retryable: boolean, message: RegExp, timedOut?: boolean) {
		const mapped = toRequestError(error, {...request, timedOut: timedOut ?? false});
		t.is(mapped.code, code);
		t.is(mapped.retryable, retryable);
		t.regex(mapped.message, message);
		t.is(mapped.cause, error);
		t.truthy(mapped.hint);
	},
	title: (title = '', _error: unknown, code: ErrorCode) => `${title} → ${code}`,
});

test('connection refused', maps, fetchFailed(errno('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5280')), 'ERR_NODE_DOWN', true, /Cannot reach .*\/update_list \(ECONNREFUSED\): connect ECONNREFUSED 127\.0\.0\.1:5280$/);
test('connection reset', maps, fetchFailed(errno('ECONNRESET', 'read ECONNRESET')), 'ERR_NODE_DOWN', true, /ECONNRESET/);
test('other side closed (undici)', maps, fetchFailed(errno('UND_ERR_SOCKET', 'other side closed')), 'ERR_NODE_DOWN', true, /other side closed/);
test('socket hang up without a code', maps, fetchFailed(new Error('socket hang up')), 'ERR_NODE_DOWN', true, /socket hang up/);
test('refused on every address tried', maps, fetchFailed(new AggregateError([errno('ECONNREFUSED', 'connect ECONNREFUSED ::1:5280'), errno('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5280')])), 'ERR_NODE_DOWN', true, /ECONNREFUSED/);
test('our own limit', maps, new DOMException('The operation was aborted due to timeout', 'TimeoutError'), 'ERR_NODE_TIMEOUT', true, /did not answer within 1000 ms/, true);
test('undici\'s headers timeout', maps, fetchFailed(errno('UND_ERR_HEADERS_TIMEOUT', 'Headers Timeout Error')), 'ERR_NODE_TIMEOUT', true, /within 1000 ms/);
test('a host that does not resolve', maps, fetchFailed(errno('ENOTFOUND', 'getaddrinfo ENOTFOUND nowhere.invalid')), 'ERR_HTTP', false, /failed: getaddrinfo ENOTFOUND nowhere\.invalid$/);
test('anything else', maps, fetchFailed(new Error('bad port')), 'ERR_HTTP', false, /failed: bad port$/);
