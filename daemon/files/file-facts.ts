import type {Stats} from 'node:fs';

export type FileKind = 'regular file' | 'directory' | 'FIFO' | 'character device' | 'block device' | 'socket' | 'symbolic link' | 'file of unknown kind';

/** What a file is, in the words of an error message. */
export function kindOf(stats: Stats): FileKind {
	if (stats.isFile()) {
		return 'regular file';
	}
	if (stats.isDirectory()) {
		return 'directory';
	}
	if (stats.isFIFO()) {
		return 'FIFO';
	}
	if (stats.isCharacterDevice()) {
		return 'character device';
	}
	if (stats.isBlockDevice()) {
		return 'block device';
	}
	if (stats.isSocket()) {
		return 'socket';
	}
	return stats.isSymbolicLink() ? 'symbolic link' : 'file of unknown kind';
}

/** `1073741824 bytes (1.0 GiB)`. */
export function formatSize(bytes: number): string {
	const units = ['KiB', 'MiB', 'GiB', 'TiB'];
	let value = bytes;
	let unit = '';
	for (const next of units) {
		if (value < 1024) {
			break;
		}
		value /= 1024;
		unit = next;
	}
	return unit === '' ? `${bytes} byte${bytes === 1 ? '' : 's'}` : `${bytes} bytes (${value.toFixed(1)} ${unit})`;
}
