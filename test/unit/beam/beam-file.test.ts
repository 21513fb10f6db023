import {readFile, stat, writeFile} from 'node:fs/promises';
import * as path from 'node:path';
import anyTest from 'ava';
import type {TestFn} from 'ava';
import {inspectBeamFile} from '../../../daemon/beam/beam-file.ts';
import {ReloaderError} from '../../../daemon/errors.ts';
import {compileModule, makeTemporaryDirectory} from './_beams.ts';

const test = anyTest as TestFn<{beam: Buffer; beamPath: string}>;

const SOURCE = '-module(tiny).\n-export([hello/0]).\nhello() -> {ok, "world"}.\n';

test.before(async t => {
	// One compile for the whole file; the directory goes in test.after.always.
	const {directory, remove} = await makeTemporaryDirectory();
	removeCompiled = remove;
	const beamPath = await compileModule(directory, 'ebin', 'tiny', SOURCE);
	t.context = {beamPath, beam: await readFile(beamPath)};
});

let removeCompiled: (() => Promise<void>) | undefined;
test.after.always(async () => {
	await removeCompiled?.();
});

/** A scratch directory for one test, removed when it ends. */
async function scratch(t: {teardown: (fn: () => Promise<void>) => void}): Promise<string> {
	const {directory, remove} = await makeTemporaryDirectory();
	t.teardown(remove);
	return directory;
}

test('a beam written by erlc is complete', async t => {
	const inspection = await inspectBeamFile(t.context.beamPath);
	const stats = await stat(t.context.beamPath);
	t.deepEqual(inspection, {state: 'complete', size: stats.size, mtimeMs: stats.mtimeMs});
	t.is(t.context.beam.readUInt32BE(4) + 8, stats.size);
});

test('truncated copies are incomplete with the expected and actual sizes', async t => {
	const directory = await scratch(t);
	const {beam} = t.context;
	for (const size of [0, 1, 4, 7, 8, 11, 12, 13, 100, beam.length - 1]) {
		const copy = path.join(directory, `tiny-${size}.beam`);
		await writeFile(copy, beam.subarray(0, size));
		const inspection = await inspectBeamFile(copy);
		const expectedSize = size < 8 ? 12 : beam.length;
		t.like(inspection, {state: 'incomplete', expectedSize, actualSize: size, size}, `truncated to ${size} bytes`);
	}
});

test('garbage is invalid and says what it found', async t => {
	const directory = await scratch(t);
	const garbage = path.join(directory, 'garbage.beam');
	await writeFile(garbage, 'this is not a beam file at all');
	const inspection = await inspectBeamFile(garbage);
	t.like(inspection, {state: 'invalid', reason: 'expected "FOR1" at offset 0, found 74 68 69 73 ("this"): not a beam file', size: 30});
});

test('a beam with bytes appended is invalid', async t => {
	const directory = await scratch(t);
	const longer = path.join(directory, 'longer.beam');
	await writeFile(longer, Buffer.concat([t.context.beam, Buffer.alloc(3)]));
	const inspection = await inspectBeamFile(longer);
	t.is(inspection.state, 'invalid');
	t.regex(inspection.state === 'invalid' ? inspection.reason : '', /3 too many/);
});

test('a missing file is missing', async t => {
	const directory = await scratch(t);
	t.deepEqual(await inspectBeamFile(path.join(directory, 'gone.beam')), {state: 'missing'});
});

test('a directory is unreadable, with the path, the errno and a hint', async t => {
	const directory = await scratch(t);
	const error = await t.throwsAsync(inspectBeamFile(directory), {instanceOf: ReloaderError});
	t.is(error?.code, 'ERR_BEAM_UNREADABLE');
	t.true(error?.message.includes(JSON.stringify(directory)));
	t.regex(error?.message ?? '', /\(EISDIR\)/);
	t.regex(error?.hint ?? '', /directory/);
	t.false(error?.retryable);
});
