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

export const configSchema = z
	.strictObject({
		/** Target node, e.g. `ejabberd@localhost`. With `ctl`, passed as `--node`; unset, ejabberdctl's own default applies. */
		node: z.string().regex(/^[A-Za-z0-9_.-]+@[A-Za-z0-9_.-]+$/, 'expected name@host').optional(),
		/** How the daemon talks to the node. */
		transport: z.enum(['ctl']).default('ctl'),
		/** Directories that `make install` writes beams into; `auto`: the ebin of the installed ejabberd. */
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
