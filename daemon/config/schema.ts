import {z} from 'zod';

/**
 * The configuration, declared once. The user's config (every key optional, the
 * defaults below) is `UserConfig`; what the daemon runs with is `ResolvedConfig`
 * (every key present, frozen). Unknown keys are errors: a typo such as
 * `debounce:` must not silently fall back to a default.
 */
const durationMs = (max: number) => z.number().int().min(0).max(max);

const logSchema = z.strictObject({
	/** winston level: error, warn, info, debug. */
	level: z.enum(['error', 'warn', 'info', 'debug']).default('info'),
	/** `pretty`: one coloured line per event (colour only on a TTY); `json`: one JSON record per line. */
	format: z.enum(['pretty', 'json']).default('pretty'),
});

const ctlSchema = z.strictObject({
	/** argv prefix of ejabberdctl, run without a shell, e.g. `["ejabberdctl", "--config-dir", "/etc/x"]`. */
	command: z.array(z.string().min(1)).min(1).default(['ejabberdctl']),
	/** Limit for one ejabberdctl call; each boots an Erlang VM and `update` may take long. */
	timeoutMs: durationMs(600_000).min(1000).default(60_000),
});

const distSchema = z.strictObject({
	/** The node's distribution port, for nodes started without EPMD; unset: asked from EPMD. */
	port: z.number().int().min(1).max(65_535).optional(),
	/** Limit for connecting (EPMD, TCP, handshake). */
	connectTimeoutMs: durationMs(600_000).min(100).default(5000),
	/** Limit for one remote call; `update` of many modules may take long. */
	callTimeoutMs: durationMs(600_000).min(100).default(60_000),
});

const httpSchema = z.strictObject({
	/** Base URL of ejabberd's mod_http_api request handler. */
	url: z.url({protocol: /^https?$/}).default('http://127.0.0.1:5280/api'),
	/** Basic auth user (`admin@localhost`); unset: no auth (rely on an ip rule in api_permissions). */
	user: z.string().min(1).optional(),
	/** File holding the basic auth password (never the password itself in the config). */
	passwordFile: z.string().min(1).optional(),
	timeoutMs: durationMs(600_000).min(100).default(60_000),
});

export const configSchema = z
	.strictObject({
		/**
		 * Target node, e.g. `ejabberd@localhost`. With `ctl`, passed as `--node`
		 * (unset: ejabberdctl's own default); with `dist`, unset means `ejabberd@localhost`.
		 */
		node: z.string().regex(/^[A-Za-z0-9_.-]+@[A-Za-z0-9_.-]+$/, 'expected name@host').optional(),
		/** How the daemon talks to the node; `auto`: `dist` when a cookie file is readable, else `ctl`. */
		transport: z.enum(['auto', 'dist', 'ctl', 'http']).default('auto'),
		/** The Erlang cookie's file; unset: `$HOME/.erlang.cookie`, else ejabberd's `/var/lib/ejabberd/.erlang.cookie`. */
		cookieFile: z.string().min(1).optional(),
		dist: distSchema.default({connectTimeoutMs: 5000, callTimeoutMs: 60_000}),
		http: httpSchema.default({url: 'http://127.0.0.1:5280/api', timeoutMs: 60_000}),
		/** Directories that `make install` writes beams into; `auto`: the directory update_info scans (asked from the node over `dist`, else the installed ejabberd's ebin). */
		watch: z.union([z.literal('auto'), z.array(z.string().min(1)).min(1)]).default('auto'),
		ctl: ctlSchema.default({command: ['ejabberdctl'], timeoutMs: 60_000}),
		/** Trailing quiet window: a batch closes when no beam changed for this long. */
		debounceMs: durationMs(60_000).default(300),
		/** Cap from a batch's first change: a steady stream of writes still gets reloaded. */
		maxWaitMs: durationMs(600_000).default(3000),
		/** How long a beam may stay half-written before it is reported and skipped. */
		incompleteTimeoutMs: durationMs(600_000).min(100).default(2000),
		log: logSchema.default({level: 'info', format: 'pretty'}),
	})
	.refine(config => config.maxWaitMs >= config.debounceMs, {
		path: ['maxWaitMs'],
		message: 'must be at least debounceMs',
	});

export type UserConfig = z.input<typeof configSchema>;
export type ResolvedConfig = DeepReadonly<z.output<typeof configSchema>>;

type DeepReadonly<T> = T extends (infer E)[]
	? readonly DeepReadonly<E>[]
	: T extends object
		? {readonly [K in keyof T]: DeepReadonly<T[K]>}
		: T;
