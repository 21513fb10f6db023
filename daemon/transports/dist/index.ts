export {AllowList, RELOADER_ALLOW_LIST} from './allow-list.ts';
export type {RemoteFunction} from './allow-list.ts';
export {DistClient} from './dist-client.ts';
export type {CallOptions, DistClientOptions, DistEvent} from './dist-client.ts';
export {defaultCookieFiles, findReadableCookieFile, readCookie} from './cookie.ts';
export type {CookieRead} from './cookie.ts';
export {lookupNodePort} from './epmd.ts';
export type {EpmdEntry} from './epmd.ts';
export {CLIENT_FLAGS, DFLAG, describeFlags} from './flags.ts';
