import type {FileHandle} from 'node:fs/promises';

/** Fill `buffer` from file offset `from` on (the bytes before it are already there); stops early at the end of the file. */
export async function readRange(handle: FileHandle, buffer: Buffer, from: number): Promise<Buffer> {
	let filled = from;
	while (filled < buffer.byteLength) {
		const {bytesRead} = await handle.read(buffer, filled, buffer.byteLength - filled, filled);
		if (bytesRead === 0) {
			break;
		}
		filled += bytesRead;
	}
	return buffer.subarray(0, filled);
}

/**
 * `work`, or the error `onTimeout` makes once `timeoutMs` have passed. On a
 * timeout the work goes on in the background (a read stuck in the kernel
 * cannot be taken back) and closes its descriptor when the system lets it.
 */
export async function withDeadline<T>(work: Promise<T>, timeoutMs: number, onTimeout: () => Error): Promise<T> {
	let timer: NodeJS.Timeout | undefined;
	const deadline = new Promise<never>((_, reject) => {
		timer = setTimeout(() => reject(onTimeout()), timeoutMs);
	});
	try {
		return await Promise.race([work, deadline]);
	} finally {
		clearTimeout(timer);
	}
}
