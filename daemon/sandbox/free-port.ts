import {createServer} from 'node:net';
import {ReloaderError} from '../errors.ts';

/**
 * A TCP port on 127.0.0.1 that nothing listens on right now: the kernel picks
 * it when we bind port 0, and we release it at once. Another process could
 * take it before ejabberd binds it; the window is small enough for a sandbox.
 */
export function findFreePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const server = createServer();
		server.unref();
		server.once('error', error => {
			reject(new ReloaderError('ERR_SANDBOX', `Could not bind 127.0.0.1:0 to find a free port: ${error.message}`, {cause: error, retryable: true}));
		});
		server.listen({host: '127.0.0.1', port: 0, exclusive: true}, () => {
			const address = server.address();
			const port = typeof address === 'object' && address !== null ? address.port : 0;
			server.close(() => {
				resolve(port);
			});
		});
	});
}

/**
 * Ports this process handed out, never handed out again: nodes started in
 * parallel (a cluster) would otherwise be given a port another one was just
 * given and has not bound yet.
 */
const handedOut = new Set<number>();

/** `count` distinct free ports, none handed out before by this process. */
export async function findFreePorts(count: number): Promise<number[]> {
	const ports = new Set<number>();
	while (ports.size < count) {
		const port = await findFreePort();
		if (!handedOut.has(port)) {
			handedOut.add(port);
			ports.add(port);
		}
	}
	return [...ports];
}
