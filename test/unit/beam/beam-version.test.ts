import {readFile, writeFile} from 'node:fs/promises';
import * as path from 'node:path';
import anyTest from 'ava';
import type {TestFn} from 'ava';
import {readBeamChunks, readBeamModuleName, readBeamVersion} from '../../../daemon/beam/beam-chunks.ts';
import {readBeamSnapshot} from '../../../daemon/beam/beam-snapshot.ts';
import {ReloaderError} from '../../../daemon/errors.ts';
import {atom, encodeTerm, tuple} from '../../../daemon/lib/erlang-term/index.ts';
import {runErlang} from '../lib/erlang-term/_erlang.ts';
import {compileModule, makeBeam, makeTemporaryDirectory} from './_beams.ts';

interface ErlangView {
	readonly module: string;
	readonly version: string;
	readonly chunks: string;
}

interface Context {
	readonly paths: Readonly<Record<'first' | 'recompiled' | 'changed' | 'handSet' | 'atomVsn', string>>;
	readonly unicodePath: string;
	readonly erlang: ReadonlyMap<string, ErlangView>;
}

const test = anyTest as TestFn<Context>;

const HELLO_V1 = '-module(mod_hello).\n-export([hello/0]).\nhello() -> world.\n';
const HELLO_V2 = '-module(mod_hello).\n-export([hello/0]).\nhello() -> {changed, world}.\n';

/** beam_lib's view of each file: module, version (MD5 in 32 hex digits, else ~p), chunk ids and sizes. */
function erlangScript(paths: readonly string[]): string {
	return `lists:foreach(fun(P) ->
	{ok, {M, V}} = beam_lib:version(P),
	S = case V of [I] when is_integer(I) -> string:lowercase(lists:flatten(io_lib:format("~32.16.0b", [I]))); _ -> io_lib:format("~p", [V]) end,
	{ok, _, Chunks} = beam_lib:all_chunks(P),
	C = string:join([Id ++ ":" ++ integer_to_list(byte_size(D)) || {Id, D} <- Chunks], ","),
	io:format("~s ~s ~s ~s~n", [P, M, S, C])
end, ${JSON.stringify(paths).replaceAll('","', '", "')}).`;
}

let removeCompiled: (() => Promise<void>) | undefined;

test.before(async t => {
	const {directory, remove} = await makeTemporaryDirectory();
	removeCompiled = remove;
	const paths = {
		first: await compileModule(directory, 'first', 'mod_hello', HELLO_V1),
		recompiled: await compileModule(directory, 'recompiled', 'mod_hello', HELLO_V1),
		changed: await compileModule(directory, 'changed', 'mod_hello', HELLO_V2),
		handSet: await compileModule(directory, 'first', 'mod_vsn', '-module(mod_vsn).\n-vsn("1.2").\n'),
		atomVsn: await compileModule(directory, 'first', 'mod_atom_vsn', '-module(mod_atom_vsn).\n-vsn(release_7).\n'),
	};
	const unicodePath = await compileModule(directory, 'unicode', 'mód_ü', '-module(\'mód_ü\').\n-export([f/0]).\nf() -> ok.\n');
	const output = await runErlang(erlangScript(Object.values(paths)));
	const erlang = new Map<string, ErlangView>();
	for (const line of output.trim().split('\n')) {
		const [file = '', module = '', version = '', chunks = ''] = line.split(' ');
		erlang.set(file, {module, version, chunks});
	}
	t.context = {paths, unicodePath, erlang};
});

test.after.always(async () => {
	await removeCompiled?.();
});

function erlangView(context: Context, file: string): ErlangView {
	const view = context.erlang.get(file);
	if (view === undefined) {
		throw new Error(`beam_lib printed nothing for ${file}`);
	}
	return view;
}

test('readBeamVersion equals beam_lib:version/1, in hex', async t => {
	const {first} = t.context.paths;
	const version = readBeamVersion(await readFile(first));
	t.regex(version ?? '', /^[\da-f]{32}$/);
	t.is(version, erlangView(t.context, first).version);
});

test('the version stays for an identical recompile and changes with the code', async t => {
	const {first, recompiled, changed} = t.context.paths;
	const [a, b, c] = await Promise.all([first, recompiled, changed].map(async file => readBeamVersion(await readFile(file))));
	t.is(a, b);
	t.not(a, c);
	t.is(c, erlangView(t.context, changed).version);
});

test('a hand-set -vsn("1.2") reads as 1.2', async t => {
	const {handSet} = t.context.paths;
	t.is(readBeamVersion(await readFile(handSet)), '1.2');
	t.is(erlangView(t.context, handSet).version, '"1.2"');
});

test('another hand-set vsn reads in Erlang syntax, as beam_lib prints it', async t => {
	const {atomVsn} = t.context.paths;
	t.is(readBeamVersion(await readFile(atomVsn)), '[release_7]');
	t.is(erlangView(t.context, atomVsn).version, '[release_7]');
});

test('readBeamChunks finds the chunks beam_lib:all_chunks/1 lists, with their sizes', async t => {
	for (const file of Object.values(t.context.paths)) {
		const chunks = readBeamChunks(await readFile(file));
		const listed = [...chunks].map(([id, data]) => `${id}:${data.length}`).join(',');
		t.is(listed, erlangView(t.context, file).chunks, file);
	}
});

test('readBeamModuleName reads the first atom of the atom table', async t => {
	t.is(readBeamModuleName(await readFile(t.context.paths.first)), 'mod_hello');
	t.is(readBeamModuleName(await readFile(t.context.paths.handSet)), 'mod_vsn');
	t.is(readBeamModuleName(await readFile(t.context.unicodePath)), 'mód_ü');
	t.is(erlangView(t.context, t.context.paths.first).module, 'mod_hello');
});

test('a snapshot holds the module and the version beam_lib reads, from one read of the file', async t => {
	const {first} = t.context.paths;
	const bytes = await readFile(first);
	const read = await readBeamSnapshot(first);
	t.like(read, {state: 'complete', snapshot: {module: 'mod_hello', vsn: erlangView(t.context, first).version, size: bytes.length}});
});

test('a snapshot read of a truncated beam is incomplete with the sizes; garbage is invalid; a missing file is missing', async t => {
	const {directory, remove} = await makeTemporaryDirectory();
	t.teardown(remove);
	const bytes = await readFile(t.context.paths.first);
	const truncated = path.join(directory, 'mod_hello.beam');
	await writeFile(truncated, bytes.subarray(0, 100));
	t.like(await readBeamSnapshot(truncated), {state: 'incomplete', actualSize: 100, expectedSize: bytes.length});
	const garbage = path.join(directory, 'garbage.beam');
	await writeFile(garbage, 'FOR1 but then nothing sensible');
	const invalid = await readBeamSnapshot(garbage);
	t.regex(invalid.state === 'invalid' ? invalid.reason : '', /expected "BEAM" at offset 8/);
	t.deepEqual(await readBeamSnapshot(path.join(directory, 'gone.beam')), {state: 'missing'});
});

const atomTable = (...names: string[]): Buffer => {
	const count = Buffer.alloc(4);
	count.writeInt32BE(names.length);
	return Buffer.concat([count, ...names.map(name => Buffer.concat([Buffer.from([Buffer.byteLength(name)]), Buffer.from(name)]))]);
};

test('a beam without an Attr chunk or without a vsn has no version', t => {
	t.is(readBeamVersion(makeBeam([['AtU8', atomTable('m')]])), undefined);
	const attributes = encodeTerm([tuple(atom('author'), [atom('me')])]);
	t.is(readBeamVersion(makeBeam([['AtU8', atomTable('m')], ['Attr', attributes]])), undefined);
});

test('the old latin1 Atom chunk names the module too', t => {
	const latin1 = Buffer.from([0, 0, 0, 1, 3, 0x6d, 0xf6, 0x64]);
	t.is(readBeamModuleName(makeBeam([['Atom', latin1]])), 'möd');
});

test('an OTP 28 atom table with compact lengths names the module', t => {
	const short = Buffer.concat([Buffer.from([0xff, 0xff, 0xff, 0xff, 0x50]), Buffer.from('hello')]);
	t.is(readBeamModuleName(makeBeam([['AtU8', short]])), 'hello');
	const longName = 'x'.repeat(200);
	const long = Buffer.concat([Buffer.from([0xff, 0xff, 0xff, 0xff, 0b0000_1000, 200]), Buffer.from(longName)]);
	t.is(readBeamModuleName(makeBeam([['AtU8', long]])), longName);
});

const invalidBeams = test.macro({
	exec(t, beam: Buffer, action: (bytes: Buffer) => unknown, message: RegExp) {
		const error = t.throws(() => action(beam), {instanceOf: ReloaderError, message});
		t.is(error?.code, 'ERR_BEAM_INVALID');
	},
	title: (title = '') => `refuses ${title}`,
});

const overrun = makeBeam([['AtU8', atomTable('m')]]);
overrun.writeUInt32BE(1000, 16);
test('a chunk longer than the file', invalidBeams, overrun, readBeamChunks, /Chunk "AtU8" at offset 12 claims 1000 bytes but only 8 remain/);
test('a repeated chunk', invalidBeams, makeBeam([['AtU8', atomTable('m')], ['AtU8', atomTable('m')]]), readBeamChunks, /Chunk "AtU8" appears twice/);
test('a chunk id that is not text', invalidBeams, makeBeam([['\u0000\u0001AB', Buffer.alloc(0)]]), readBeamChunks, /The chunk id at offset 12 is not text: 4 bytes: 00 01 41 42/);
test('a beam ending inside a chunk header', invalidBeams, makeBeam([['AtU8', atomTable('m')]]).subarray(0, 16), (bytes: Buffer) => {
	const fixed = Buffer.from(bytes);
	fixed.writeUInt32BE(8, 4);
	return readBeamChunks(fixed);
}, /ends inside a chunk header at offset 12/);
test('an Attr chunk that is not a term', invalidBeams, makeBeam([['Attr', Buffer.from([131, 108, 0, 0])]]), readBeamVersion, /The "Attr" chunk is not a valid Erlang term: Cannot decode Erlang term: LIST_EXT/);
test('an Attr chunk that is not a list', invalidBeams, makeBeam([['Attr', encodeTerm(atom('nope'))]]), readBeamVersion, /holds nope, not a list of attributes/);
test('a beam with no atom table', invalidBeams, makeBeam([['Code', Buffer.alloc(4)]]), readBeamModuleName, /no atom table .*found Code/);
test('an atom table with no atoms', invalidBeams, makeBeam([['AtU8', Buffer.from([0, 0, 0, 0, 0])]]), readBeamModuleName, /holds no atoms/);
test('an atom table whose first atom overruns it', invalidBeams, makeBeam([['AtU8', Buffer.from([0, 0, 0, 1, 9, 0x61])]]), readBeamModuleName, /first atom in the "AtU8" chunk claims 9 bytes; 1 remain/);
test('a module name that is not UTF-8', invalidBeams, makeBeam([['AtU8', Buffer.from([0, 0, 0, 1, 2, 0xc3, 0x28])]]), readBeamModuleName, /not valid UTF-8: 2 bytes: c3 28/);
