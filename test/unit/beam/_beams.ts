import {mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import * as path from 'node:path';
import {compileErlang} from '../lib/erlang-term/_erlang.ts';

export async function makeTemporaryDirectory(): Promise<{directory: string; remove: () => Promise<void>}> {
	const directory = await mkdtemp(path.join(tmpdir(), 'reloader-beam-test-'));
	return {directory, remove: async () => rm(directory, {recursive: true, force: true})};
}

/** Write `<module>.erl` into `directory/src-<label>` and compile it into `directory/<label>`; returns the beam's path. */
export async function compileModule(directory: string, label: string, module: string, source: string): Promise<string> {
	const sourceDirectory = path.join(directory, `src-${label}`);
	const outputDirectory = path.join(directory, label);
	await mkdir(sourceDirectory, {recursive: true});
	await mkdir(outputDirectory, {recursive: true});
	const sourcePath = path.join(sourceDirectory, `${module}.erl`);
	await writeFile(sourcePath, source);
	await compileErlang(sourcePath, outputDirectory);
	return path.join(outputDirectory, `${module}.beam`);
}

/** A beam built by hand from chunks, each padded to 4 bytes. */
export function makeBeam(chunks: readonly (readonly [string, Buffer])[]): Buffer {
	const parts = chunks.map(([id, data]) => {
		const head = Buffer.alloc(8);
		head.write(id, 0, 'latin1');
		head.writeUInt32BE(data.length, 4);
		return Buffer.concat([head, data, Buffer.alloc((4 - (data.length % 4)) % 4)]);
	});
	const body = Buffer.concat([Buffer.from('BEAM'), ...parts]);
	const header = Buffer.alloc(8);
	header.write('FOR1', 0, 'latin1');
	header.writeUInt32BE(body.length, 4);
	return Buffer.concat([header, body]);
}
