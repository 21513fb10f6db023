import type {ErrorCode} from '../errors.ts';

/** The API's own codes, for what is wrong with a request rather than with a reload. */
export type ApiErrorCode =
	| 'ERR_API_UNAUTHORIZED'
	| 'ERR_API_NOT_FOUND'
	| 'ERR_API_METHOD'
	| 'ERR_API_BODY_TOO_LARGE'
	| 'ERR_API_BODY_READ'
	| 'ERR_API_JSON'
	| 'ERR_API_JSON_DEPTH'
	| 'ERR_API_CONTENT_TYPE'
	| 'ERR_API_HOST'
	| 'ERR_API_CROSS_SITE'
	| 'ERR_API_BUSY'
	| 'ERR_API_BODY_SHAPE'
	| 'ERR_API_HTTP'
	| 'ERR_API_STOPPING'
	| 'ERR_API_INTERNAL';

/** Every error answer: a stable code to branch on, what was wrong (with which value), and what to do. */
export interface ErrorBody {
	readonly ok: false;
	readonly error: {
		readonly code: ApiErrorCode | ErrorCode;
		readonly message: string;
		readonly hint: string;
	};
}

/** A request the API answers with an error status itself, before or instead of asking the daemon. */
export class ApiError extends Error {
	readonly status: number;
	readonly code: ApiErrorCode | ErrorCode;
	readonly hint: string;
	readonly headers: Readonly<Record<string, string>>;

	constructor(status: number, code: ApiErrorCode | ErrorCode, message: string, options: {hint: string; headers?: Readonly<Record<string, string>>}) {
		super(message);
		this.name = 'ApiError';
		this.status = status;
		this.code = code;
		this.hint = options.hint;
		this.headers = options.headers ?? {};
	}
}
