import {z} from 'zod';
import {pathMappingProblems} from '../transports/path-map.ts';

/**
 * The configuration, declared once. The user's config (every key optional, the
 * defaults below) is `UserConfig`; what the daemon runs with is `ResolvedConfig`
 * (every key present, frozen). Unknown keys are errors: a typo such as
 * `debounce:` must not silently fall back to a default. Each default is
 * written once, on its field: a nested section left out is parsed as `{}`
 * (`.prefault({})`), so its fields' own defaults fill it.
 */
const durationMs = (max: number) => z.number().int().min(0).max(max);

const logSchema = z.strictObject({
	/** winston level: error, warn, info, debug. */
	level: z.enum(['error', 'warn', 'info', 'debug']).default('info'),
	/** `pretty`: one coloured line per event (colour only on a TTY); `json`: one JSON record per line. */
	format: z.enum(['pretty', 'json']).default('pretty'),
	/** Also write JSON lines to this file, rotated by size; unset: no file. */
	file: z.string().min(1).optional(),
	/** Rotate the log file when it reaches this many bytes. */
	maxSizeBytes: z.number().int().min(1024).default(10 * 1024 * 1024),
	/** Rotated files kept beside the current one. */
	maxFiles: z.number().int().min(1).max(1000).default(5),
});

const apiSchema = z.strictObject({
	/** Serve the REST endpoints, /status, /healthz and /events. */
	enabled: z.boolean().default(true),
	/** `host:port` to bind; anything but loopback requires a token. */
	listen: z.string().regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'expected host:port, e.g. 127.0.0.1:5290').default('127.0.0.1:5290'),
	/** Bearer token required from every request; prefer `tokenFile` so it stays out of the config. */
	token: z.string().min(16, 'use at least 16 characters').optional(),
	/** File holding the bearer token. */
	tokenFile: z.string().min(1).optional(),
	/**
	 * Open connections served at once; past it a connection gets 503 with
	 * Retry-After and is closed. Event streams count too, so it must leave room
	 * above maxEventStreams for /healthz and the update endpoints.
	 */
	maxConnections: z.number().int().min(2, 'must be at least 2 (one stream, one request)').max(65_536).default(256),
	/** `GET /events` streams held at once; past it 503 with Retry-After. */
	maxEventStreams: z.number().int().min(0).max(65_535).default(32),
	/**
	 * Extra names the API may be called by (the Host header), besides the
	 * listen address, `localhost` and the loopback literals; any other Host is
	 * refused (421), which stops DNS rebinding. E.g. the machine's name behind
	 * a reverse proxy.
	 */
	allowedHosts: z.array(z.string().regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9_.-]+)(:\d{1,5})?$/, 'expected a host name or host:port, e.g. reloader.internal or reloader.internal:8080')).default([]),
	/**
	 * Web origins (scheme://host[:port]) allowed to call the API from a
	 * browser; every other cross-site request is refused (403).
	 */
	allowedOrigins: z.array(z.string().regex(/^https?:\/\/(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9_.-]+)(:\d{1,5})?$/, 'expected an origin, scheme://host[:port] without a path, e.g. http://localhost:3000')).default([]),
}).superRefine((api, context) => {
	if (api.maxEventStreams >= api.maxConnections) {
		context.addIssue({
			code: 'custom',
			path: ['maxEventStreams'],
			input: api.maxEventStreams,
			message: `must be less than api.maxConnections (${api.maxConnections}), so that streams never take every connection /healthz and the update endpoints need`,
		});
	}
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
	/**
	 * How long a remote call is expected to take at most. An update_info or
	 * update that takes longer (or longer than 3 × the last one) is not failed:
	 * the node is asked a cheap liveness question, and a node that answers is
	 * slow (a warning), not down.
	 */
	callTimeoutMs: durationMs(600_000).min(100).default(60_000),
	/** How long a slow update_info/update is waited for in all while the node answers; no second one runs meanwhile. */
	slowCallLimitMs: durationMs(3_600_000).min(1000).default(600_000),
	/** The largest packet accepted from the node; a larger one closes the connection (ERR_DIST_LIMIT). */
	maxFrameBytes: z.number().int().min(65_536).max(1024 * 1024 * 1024).default(16 * 1024 * 1024),
	/**
	 * TLS distribution, for nodes started with `-proto_dist inet_tls`: the
	 * daemon's certificate and key (PEM) and the CA that signed the nodes'
	 * certificates. Unset: plain TCP distribution.
	 */
	tls: z.strictObject({
		certFile: z.string().min(1),
		keyFile: z.string().min(1),
		caFile: z.string().min(1),
	}).optional(),
});

/** A directory of sources and the ebin its modules' beams go to. */
const sourceDirectorySchema = z.strictObject({
	/** `.erl` and `.hrl` files, a few levels deep (`src/`, `include/`), e.g. `~/src/mod_foo/src`. */
	dir: z.string().min(1),
	/** Where the compiled beams are written: an ebin the daemon watches (added to `watch` if it is not there), e.g. ejabberd's or a contrib module's. */
	ebin: z.string().min(1),
	/** Include directories of these modules, besides `include/` in and beside `dir` (ejabberd's own and its libraries' are always there). */
	include: z.array(z.string().min(1)).default([]),
});

/** How saved sources are compiled (save to live, with `sources`). */
const compileSchema = z.strictObject({
	/**
	 * Which compiler turns a saved source into a beam; either passes the
	 * options ejabberd's own module_install passes (ejabberd's and its
	 * libraries' include directories, debug_info, the release's features).
	 * `node`: the node's own `compile:file`, over the dist transport, in
	 * memory: no VM to boot per module, and the node's OTP, code path (gen_mod,
	 * the `?SQL` parse transform) and include directories, so it serves a node
	 * in a container or a chroot whose OTP is newer than this host's; the
	 * sources must be readable by the node (at the path `paths` gives them).
	 * `-include_lib("xmpp/...")` resolves only where the node names the
	 * library `xmpp` (Debian 13, processone's images; Debian 12 installs
	 * `p1_xmpp-1.6.1`, which needs an `xmpp` on the node's code path, or
	 * `erlc`). `erlc`: this host's erlc, which boots a VM per module and must
	 * be able to load the node's parse transforms (the same OTP release or an
	 * older one); Debian 12's library names are aliased for it. `auto`:
	 * `node` over the dist transport, `erlc` over ctl and http.
	 */
	compiler: z.enum(['auto', 'erlc', 'node']).default('auto'),
	/** The Erlang compiler for `compiler: erlc`: a path, or a name looked up on PATH. */
	erlc: z.string().min(1).default('erlc'),
	/** `show`: warnings are reported and the module is loaded; `fail`: a warning stops the load like an error. */
	warnings: z.enum(['show', 'fail']).default('show'),
	/** Limit for compiling one module. */
	timeoutMs: durationMs(600_000).min(1000).default(60_000),
	/**
	 * How saves are noticed. `auto`: inotify events, and polling where a
	 * directory is on a file system that sends none for changes made
	 * elsewhere (NFS, FUSE, 9p: a mount from another machine or a VM's
	 * host); `events`: never poll; `poll`: always poll.
	 */
	watch: z.enum(['auto', 'events', 'poll']).default('auto'),
	/** How often a polled source directory is looked at. */
	pollMs: durationMs(60_000).min(50).default(1000),
});

const nodeNameSchema = z.string().regex(/^[A-Za-z0-9_-]+@[A-Za-z0-9_.-]+$/, 'expected name@host, e.g. ejabberd@host2 or ejabberd@host2.example.net');

/**
 * Every node of an ejabberd cluster, reloaded as one: disk agreement first,
 * then the rollout, one record per batch with each node's outcome.
 */
const clusterSchema = z.strictObject({
	/**
	 * `auto`: the members `ejabberd_cluster:get_nodes()` lists on the
	 * configured node, followed every `pollMs`; or the members themselves,
	 * each a name or `{node, cookieFile}` (a cookie file of its own).
	 */
	nodes: z.union([
		z.literal('auto'),
		z.array(z.union([nodeNameSchema, z.strictObject({node: nodeNameSchema, cookieFile: z.string().min(1).optional()})])).min(1),
	]).default('auto'),
	/** `parallel`: every node at once; `rolling`: node by node, stopping at the first node where a module fails. */
	strategy: z.enum(['parallel', 'rolling']).default('parallel'),
	/** How long a batch waits for every node's disk to hold the beam the daemon saw before loading anywhere. */
	syncTimeoutMs: durationMs(3_600_000).default(30_000),
	/** Past syncTimeoutMs: `fail` loads nothing anywhere; `loadReady` loads where the disk agrees and reports the rest. */
	onLag: z.enum(['fail', 'loadReady']).default('fail'),
	/** How often `nodes: auto` asks for the members, and an unreachable member is tried again. */
	pollMs: durationMs(3_600_000).min(100).default(5000),
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

/**
 * Daemon-side directories and where the node sees them, like a container's
 * volumes: every path sent to the node is translated through it, every path
 * the node sends back is translated the other way.
 */
const pathsSchema = z.array(z.strictObject({
	/** The directory as this daemon sees it, e.g. `/srv/ejabberd/ebin`. */
	local: z.string().min(1),
	/** The same directory as the node sees it, e.g. `/opt/ejabberd/lib/ejabberd-24.12/ebin`. */
	node: z.string().min(1),
})).superRefine((paths, context) => {
	for (const problem of pathMappingProblems(paths)) {
		context.addIssue({code: 'custom', path: [...problem.path], input: problem.value, message: problem.message});
	}
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
		/** The Erlang cookie's file; unset: the first readable of `$HOME/.erlang.cookie` and ejabberd's `/var/lib/ejabberd/.erlang.cookie`, ejabberd's first when running as root or as the `ejabberd` user. */
		cookieFile: z.string().min(1).optional(),
		dist: distSchema.prefault({}),
		http: httpSchema.prefault({}),
		/** Where the node sees the daemon's directories (a container's volumes, a chroot): `[{local, node}]`; unmapped paths are the same on both sides. */
		paths: pathsSchema.default([]),
		/** Reload every node of an ejabberd cluster (dist only); unset: the one node. */
		cluster: clusterSchema.optional(),
		/**
		 * Directories that `make install` writes beams into (a missing one is watched once it appears). `auto` over `dist`: the
		 * directory update_info scans plus the loaded ejabberd and contrib directories of the node's code path, mapped through
		 * `paths`; over `ctl`/`http`, only when certain: the installed ejabberd's ebin.
		 */
		watch: z.union([z.literal('auto'), z.array(z.string().min(1)).min(1)]).default('auto'),
		/**
		 * Save to live: directories of Erlang sources whose saved modules are
		 * compiled (as ejabberd compiles them) into the given ebin, and loaded
		 * from there like any installed beam. `auto` (alone, or as an item
		 * beside directories; dist only): every contrib module's sources
		 * (`CONTRIB_MODULES_PATH/sources/<repo>/<module>/src`) into that
		 * module's ebin, followed as modules are installed. Unset: no sources.
		 */
		sources: z.union([z.literal('auto'), z.array(z.union([z.literal('auto'), sourceDirectorySchema]))]).default([]),
		compile: compileSchema.prefault({}),
		ctl: ctlSchema.prefault({}),
		/** Trailing quiet window: a batch closes when no beam changed for this long. */
		debounceMs: durationMs(60_000).default(300),
		/** Cap from a batch's first change: a steady stream of writes still gets reloaded. */
		maxWaitMs: durationMs(600_000).default(3000),
		/** How long a beam may stay half-written before it is reported and skipped. */
		incompleteTimeoutMs: durationMs(600_000).min(100).default(2000),
		/**
		 * The largest beam the daemon reads, in bytes. A beam is read up to the
		 * length its header declares; one declaring more is reported and skipped
		 * unread (a sparse file, a symlink to something huge). Default 64 MiB.
		 */
		maxBeamBytes: z.number().int().min(4096).max(2 ** 31 - 1).default(64 * 1024 * 1024),
		log: logSchema.prefault({}),
		api: apiSchema.prefault({}),
		/**
		 * What to do with processes still running a module's old code, which
		 * updating it again would kill (dist only). `brutal`: ejabberd's own
		 * behaviour, go ahead and log which processes were killed; `soft`: hold
		 * the module back, report who holds it, try again later.
		 */
		purge: z.enum(['brutal', 'soft']).default('brutal'),
		/** How long a module held back by `purge: soft` waits before it is tried again. */
		purgeRetryMs: durationMs(3_600_000).min(100).default(10_000),
		/**
		 * How long `purge: soft` may hold a module back (retrying every
		 * purgeRetryMs) before the module is reported `failed` with the
		 * processes holding it; `POST /update-modules` with `"purge": "brutal"`
		 * forces it then.
		 */
		purgeSoftTimeoutMs: durationMs(86_400_000).min(100).default(300_000),
		/** Load changed modules the node has never loaded (dist only); by default they load on first use. */
		loadNew: z.boolean().default(false),
		/** How long SIGTERM lets a running batch finish before exiting anyway. */
		shutdownGraceMs: durationMs(600_000).default(30_000),
	})
	.refine(config => config.maxWaitMs >= config.debounceMs, {
		path: ['maxWaitMs'],
		message: 'must be at least debounceMs',
	})
	.refine(config => config.api.token === undefined || config.api.tokenFile === undefined, {
		path: ['api', 'token'],
		message: 'set either api.token or api.tokenFile, not both',
	});

export type UserConfig = z.input<typeof configSchema>;
export type ResolvedConfig = DeepReadonly<z.output<typeof configSchema>>;

type DeepReadonly<T> = T extends (infer E)[]
	? readonly DeepReadonly<E>[]
	: T extends object
		? {readonly [K in keyof T]: DeepReadonly<T[K]>}
		: T;
