export {DistTransport} from './dist-transport.ts';
export type {DistTransportOptions} from './dist-transport.ts';
export {RELOADER_ALLOW_LIST} from './reloader-allow-list.ts';
export {defaultCookieFiles, findReadableCookieFile, readCookie} from './cookie.ts';
export type {CookieRead} from './cookie.ts';
export {toReloaderError} from './adapt-error.ts';
