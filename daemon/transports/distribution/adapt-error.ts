import {ReloaderError, type ErrorCode} from '../../errors.ts';
import {DistError, type DistErrorCode} from '../../lib/erlang-dist/index.ts';
import {TermError} from '../../lib/erlang-term/index.ts';

const DIST_CODES: Readonly<Record<DistErrorCode, ErrorCode>> = {
	ERR_DIST_NODE_DOWN: 'ERR_NODE_DOWN',
	ERR_DIST_TIMEOUT: 'ERR_NODE_TIMEOUT',
	ERR_DIST_HANDSHAKE: 'ERR_DIST_HANDSHAKE',
	ERR_DIST_PROTOCOL: 'ERR_DIST_PROTOCOL',
	ERR_DIST_LIMIT: 'ERR_DIST_LIMIT',
	ERR_DIST_FORBIDDEN: 'ERR_DIST_FORBIDDEN',
	ERR_DIST_OPTIONS: 'ERR_CONFIG_INVALID',
};

/**
 * The boundary between the libraries and the daemon: a DistError or TermError
 * becomes the ReloaderError the rest of the daemon branches on (same message,
 * hint and retryable flag; the library error as cause). Anything else, a
 * ReloaderError from the cookie reader included, passes unchanged.
 */
export function toReloaderError(error: unknown): unknown {
	if (error instanceof DistError) {
		return new ReloaderError(DIST_CODES[error.code], error.message, {cause: error, retryable: error.retryable, hint: error.hint});
	}
	if (error instanceof TermError) {
		return new ReloaderError(error.code, error.message, {cause: error, hint: error.hint});
	}
	return error;
}
