import {DistError} from './dist-error.ts';
import {exchangeOnce} from './socket-exchange.ts';

export const EPMD_PORT = 4369;

const PORT_PLEASE2_REQ = 122;
const PORT2_RESP = 119;

export interface EpmdEntry {
	readonly port: number;
	/** 77 ('M'): a normal Erlang node; 72 ('H'): a hidden one. */
	readonly nodeType: number;
	/** 0: TCP/IPv4. */
	readonly protocol: number;
	readonly highestVersion: number;
	readonly lowestVersion: number;
	readonly name: string;
	readonly extra: Buffer;
}

/** `u16 len, 122, alive`: where does the node named `alive` listen? */
export function encodePortPlease(alive: string): Buffer {
	const name = Buffer.from(alive, 'utf8');
	const request = Buffer.alloc(3 + name.byteLength);
	request.writeUInt16BE(1 + name.byteLength, 0);
	request.writeUInt8(PORT_PLEASE2_REQ, 2);
	name.copy(request, 3);
	return request;
}

/**
 * How many bytes a complete PORT2_RESP has, from the bytes received so far;
 * undefined while that cannot be told yet. EPMD closes after answering, so
 * this only lets the answer be parsed as soon as it is whole.
 */
export function portPleaseResponseLength(bytes: Buffer): number | undefined {
	if (bytes.byteLength < 2) {
		return undefined;
	}
	if (bytes[0] !== PORT2_RESP || bytes[1] !== 0) {
		return 2;
	}
	if (bytes.byteLength < 12) {
		return undefined;
	}
	const nameEnd = 12 + bytes.readUInt16BE(10);
	return bytes.byteLength < nameEnd + 2 ? undefined : nameEnd + 2 + bytes.readUInt16BE(nameEnd);
}

/** Parse `119, result, u16 port, type, proto, u16 highest, u16 lowest, u16 nlen, name, u16 elen, extra`. */
export function parsePortPleaseResponse(bytes: Buffer, node: string, host: string): EpmdEntry {
	if (bytes.byteLength < 2 || bytes[0] !== PORT2_RESP) {
		throw garbled(node, host, bytes.byteLength < 2 ? `${bytes.byteLength} bytes` : `tag ${bytes[0]} where 119 was expected`);
	}
	if (bytes[1] !== 0) {
		throw new DistError('ERR_DIST_NODE_DOWN', `${node} is not registered with EPMD on ${host} (EPMD answered result ${bytes[1]})`, {
			retryable: true,
			hint: `Check that the node is running (for ejabberd, \`ejabberdctl status\`) and that its name is exactly ${node}; \`epmd -names\` on ${host} lists the registered names.`,
		});
	}
	const length = portPleaseResponseLength(bytes);
	if (length === undefined || bytes.byteLength !== length) {
		throw garbled(node, host, length === undefined ? `a truncated answer of ${bytes.byteLength} bytes` : `${bytes.byteLength} bytes where its lengths say ${length}`);
	}
	const nameLength = bytes.readUInt16BE(10);
	return {
		port: bytes.readUInt16BE(2),
		nodeType: bytes.readUInt8(4),
		protocol: bytes.readUInt8(5),
		highestVersion: bytes.readUInt16BE(6),
		lowestVersion: bytes.readUInt16BE(8),
		name: bytes.subarray(12, 12 + nameLength).toString('utf8'),
		extra: bytes.subarray(14 + nameLength),
	};
}

/** Ask EPMD on `host` for the node's distribution port, over a connection of its own. */
export async function lookupNodePort(alive: string, node: string, host: string, signal: AbortSignal, port = EPMD_PORT): Promise<EpmdEntry> {
	const answer = await exchangeOnce({host, port, request: encodePortPlease(alive), complete: portPleaseResponseLength, signal}).catch((error: unknown) => {
		throw signal.aborted ? signal.reason : epmdUnreachable(error, node, host, port);
	});
	return parsePortPleaseResponse(answer, node, host);
}

function epmdUnreachable(error: unknown, node: string, host: string, port: number): unknown {
	if (error instanceof DistError) {
		return error;
	}
	const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
	return new DistError('ERR_DIST_NODE_DOWN', `Cannot reach EPMD on ${host}:${port} to find ${node} (${code})`, {
		cause: error,
		retryable: true,
		hint: `Check that ${host} is the node's host and that epmd runs there (it starts with the first node); or configure the node's distribution port to skip EPMD.`,
	});
}

function garbled(node: string, host: string, problem: string): DistError {
	return new DistError('ERR_DIST_PROTOCOL', `EPMD on ${host} gave a malformed answer about ${node}: ${problem}`, {
		hint: `Check that port ${EPMD_PORT} on ${host} is EPMD.`,
	});
}
