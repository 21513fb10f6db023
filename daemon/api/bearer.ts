import {createHash, timingSafeEqual} from 'node:crypto';
import {ApiError} from './api-error.ts';

export type BearerVerdict = 'ok' | 'missing' | 'malformed' | 'wrong';

const BEARER = /^Bearer +(\S+) *$/i;

/**
 * Compare the offered token with the configured one in constant time. Both are
 * hashed first, so the comparison takes as long whatever their lengths, and
 * `timingSafeEqual` gets the equal-length buffers it requires.
 */
export function createBearerCheck(token: string): (authorization: string | undefined) => BearerVerdict {
	const expected = sha256(token);
	return authorization => {
		if (authorization === undefined || authorization === '') {
			return 'missing';
		}
		const offered = BEARER.exec(authorization)?.[1];
		if (offered === undefined) {
			return 'malformed';
		}
		return timingSafeEqual(sha256(offered), expected) ? 'ok' : 'wrong';
	};
}

const MESSAGES: Readonly<Record<Exclude<BearerVerdict, 'ok'>, string>> = {
	missing: 'This API requires a token and the request has no Authorization header',
	malformed: 'The Authorization header is not of the form `Bearer <token>`',
	wrong: 'The bearer token does not match the one configured (api.token or api.tokenFile)',
};

/** The 401 for a verdict; it never repeats what was offered. */
export function unauthorized(verdict: Exclude<BearerVerdict, 'ok'>): ApiError {
	return new ApiError(401, 'ERR_API_UNAUTHORIZED', MESSAGES[verdict], {
		hint: 'Send `Authorization: Bearer <token>` with the token of api.tokenFile (or api.token).',
		headers: {'WWW-Authenticate': 'Bearer realm="ejabberd-reloader"'},
	});
}

function sha256(text: string): Buffer {
	return createHash('sha256').update(text, 'utf8').digest();
}
