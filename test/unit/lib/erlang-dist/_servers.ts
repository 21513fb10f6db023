import {createServer} from 'node:net';
import type {AddressInfo, Server, Socket} from 'node:net';
import {createServer as createTlsServer, type TlsOptions} from 'node:tls';
import type {ExecutionContext} from 'ava';

/** A loopback TCP server for one test (TLS with `tls`: sockets are handed on once secure), closed (with its sockets) in teardown. */
export async function listen(t: ExecutionContext, onSocket: (socket: Socket) => void, tls?: TlsOptions): Promise<{server: Server; port: number; sockets: Socket[]}> {
	const sockets: Socket[] = [];
	const accept = (socket: Socket): void => {
		sockets.push(socket);
		socket.on('error', () => undefined);
		onSocket(socket);
	};
	const server: Server = tls === undefined ? createServer(accept) : createTlsServer(tls, accept);
	// A client the TLS server refuses never reaches `accept`.
	server.on('tlsClientError', () => undefined);
	await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
	t.teardown(() => new Promise<void>(resolve => {
		for (const socket of sockets) {
			socket.destroy();
		}
		server.close(() => resolve());
	}));
	return {server, port: (server.address() as AddressInfo).port, sockets};
}

/** A port nothing listens on: bound, then released. */
export async function closedPort(): Promise<number> {
	const server = createServer();
	await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
	const {port} = server.address() as AddressInfo;
	await new Promise(resolve => server.close(resolve));
	return port;
}
