import type {Daemon} from './daemon.ts';

/** The Daemon's calls the service passes on to the running pipeline. */
type DaemonCall = 'reconcile' | 'update' | 'updateInfo';

/**
 * What the commands and the HTTP API call on the service, typed from the
 * Daemon's own methods: a parameter the Daemon takes is in this type too, so
 * every caller can pass it. Types only, so the API imports it without
 * importing the service (imports go cli → service → {daemon, api}).
 */
export interface ServiceCalls {
	/** Every modified module now (`nodes`: only these cluster members). */
	reconcile(...args: Parameters<Daemon['reconcile']>): ReturnType<Daemon['reconcile']>;
	/** These modules now (`purge`, `nodes` as the request says). */
	update(...args: Parameters<Daemon['update']>): ReturnType<Daemon['update']>;
	/** What update_info reports now; loads nothing. */
	updateInfo(...args: Parameters<Daemon['updateInfo']>): ReturnType<Daemon['updateInfo']>;
	/** The running pipeline's state (the service adds the last reconfiguration). */
	status(): ReturnType<Daemon['status']>;
	/** The running pipeline's watched beams. */
	readonly index: Daemon['index'];
}

type SameParameters<A extends readonly unknown[], B extends readonly unknown[]> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

/**
 * `S` when each of its calls takes exactly the Daemon's parameters, else
 * `never`. A method with fewer parameters is assignable to one with more, so
 * `implements ServiceCalls` alone lets a wrapper drop one (the API's `nodes`
 * was dropped so); `value satisfies ForwardsEveryParameter<typeof value>`
 * does not compile then.
 */
export type ForwardsEveryParameter<S extends ServiceCalls> = {[K in DaemonCall]: SameParameters<Parameters<S[K]>, Parameters<Daemon[K]>>}[DaemonCall] extends true ? S : never;
