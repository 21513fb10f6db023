import {beamCodeMd5} from '../../daemon/beam/code-md5.ts';

/**
 * A small beam built by hand that every reader of the daemon accepts: an atom
 * table naming `module`, the chunks every loadable beam has, `Code` holding
 * `version`, and an `Attr` chunk whose vsn is the code's MD5, as erlc writes by
 * default. Different versions give different code MD5s and vsns.
 */
export function syntheticBeam(module: string, version: number): Buffer {
	const name = Buffer.from(module, 'utf8');
	const atoms = Buffer.concat([u32(1), Buffer.from([name.length]), name]);
	const code = Buffer.concat([u32(16), u32(0), u32(version >>> 0), u32(0)]);
	const codeChunks = new Map([['AtU8', atoms], ['Code', code], ['StrT', Buffer.alloc(0)], ['ImpT', u32(0)], ['ExpT', u32(0)]]);
	const md5 = beamCodeMd5(codeChunks);
	return container([...codeChunks, ['Attr', vsnAttribute(md5)]]);
}

/** `[{vsn, [Md5AsInteger]}]` in the External Term Format. */
function vsnAttribute(md5Hex: string): Buffer {
	const littleEndian = Buffer.from(md5Hex, 'hex').reverse();
	return Buffer.concat([
		Buffer.from([131, 108]), u32(1),
		Buffer.from([104, 2, 119, 3]), Buffer.from('vsn', 'latin1'),
		Buffer.from([108]), u32(1),
		Buffer.from([110, 16, 0]), littleEndian,
		Buffer.from([106, 106]),
	]);
}

function container(chunks: readonly (readonly [string, Buffer])[]): Buffer {
	const parts = chunks.map(([id, data]) => {
		const head = Buffer.alloc(8);
		head.write(id, 0, 'latin1');
		head.writeUInt32BE(data.length, 4);
		return Buffer.concat([head, data, Buffer.alloc((4 - (data.length % 4)) % 4)]);
	});
	const body = Buffer.concat([Buffer.from('BEAM', 'latin1'), ...parts]);
	const header = Buffer.alloc(8);
	header.write('FOR1', 0, 'latin1');
	header.writeUInt32BE(body.length, 4);
	return Buffer.concat([header, body]);
}

function u32(value: number): Buffer {
	const buffer = Buffer.alloc(4);
	buffer.writeUInt32BE(value >>> 0);
	return buffer;
}
