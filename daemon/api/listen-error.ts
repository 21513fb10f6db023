import {ReloaderError, errorMessage} from '../errors.ts';

const REASONS: Readonly<Record<string, readonly [reason: string, hint: (port: number) => string]>> = {
	EADDRINUSE: ['the address is already in use', port => `Another process (perhaps another ejabberd-reloader) listens there: find it with \`ss -ltnp 'sport = :${port}'\`; or set api.listen to a free port; or set api.enabled: false.`],
	EACCES: ['permission denied', () => 'Ports below 1024 need root (or CAP_NET_BIND_SERVICE): set api.listen to a port above 1024, e.g. 127.0.0.1:5290.'],
	EADDRNOTAVAIL: ['this machine has no such address', () => 'Set api.listen to an address of this machine, e.g. 127.0.0.1:5290.'],
	ENOTFOUND: ['the host name does not resolve', () => 'Set api.listen to an IP address, e.g. 127.0.0.1:5290.'],
};

/** Why the API could not listen, naming the address and what to change. */
export function listenError(error: unknown, address: string, port: number): ReloaderError {
	const code = (error as NodeJS.ErrnoException | undefined)?.code ?? '';
	const [reason, hint] = REASONS[code] ?? [errorMessage(error), () => 'Check api.listen, or set api.enabled: false to run without the API.'];
	return new ReloaderError('ERR_API', `Cannot serve the API on ${address} (api.listen): ${reason}${code === '' ? '' : ` (${code})`}`, {cause: error, hint: hint(port)});
}
