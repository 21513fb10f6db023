/**
 * An Erlang distribution client: a hidden node of our own that connects to one
 * node (EPMD lookup, the OTP 23+ handshake, ticks) and calls functions there
 * through rpc, refusing any function outside its allow-list; plain TCP or
 * TLS distribution (`-proto_dist inet_tls`). A library of its
 * own: it imports nothing but node: modules and ../erlang-term, and throws only
 * DistError (plus the errors of a cookie or TLS reader it is given, unchanged).
 */
export {AllowList, remoteFunction} from './allow-list.ts';
export type {RemoteFunction} from './allow-list.ts';
export {DistClient} from './dist-client.ts';
export type {CallOptions} from './dist-client.ts';
export type {CookieReader, DistClientOptions, DistEvent} from './client-options.ts';
export {DistError} from './dist-error.ts';
export type {DistErrorCode, DistErrorOptions} from './dist-error.ts';
export {lookupNodePort} from './epmd.ts';
export type {EpmdEntry} from './epmd.ts';
export {CLIENT_FLAGS, DFLAG, describeFlags} from './flags.ts';
export {createDistTlsContext} from './tls.ts';
export type {DistTlsOptions, DistTlsReader} from './tls.ts';
export {untilAborted} from './until-aborted.ts';
