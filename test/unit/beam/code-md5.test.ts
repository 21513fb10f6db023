import {execFile} from 'node:child_process';
import {mkdir, mkdtemp, readdir, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import * as path from 'node:path';
import {fileURLToPath} from 'node:url';
import {promisify} from 'node:util';
import test from 'ava';
import {readBeamSnapshot} from '../../../daemon/beam/beam-snapshot.ts';

const execFileAsync = promisify(execFile);
const EJABBERD_EBIN = '/usr/lib/x86_64-linux-gnu/ejabberd-23.01-1/ebin';
const FIXTURES = fileURLToPath(new URL('../../../fixtures/modules/', import.meta.url));

/** Funs (FunT, whose old uniq beam_lib zeroes), literals (LitT), strings (StrT), imports and exports. */
const WITH_FUNS = `-module(md5_funs).
-export([run/1, adder/1]).
adder(N) -> fun(X) -> X + N end.
run(List) -> lists:map(fun(X) -> {X, "text", <<"bin">>, #{k => [1,2,3]}} end, List) ++ [(adder(2))(1)].
`;

/** `beam_lib:md5/1` of each path, in hex, from one `erl` run. */
async function erlangMd5s(paths: readonly string[]): Promise<Map<string, string>> {
	const list = `[${paths.map(file => JSON.stringify(file)).join(',')}]`;
	const script = `lists:foreach(fun(F) -> {ok, {_, M}} = beam_lib:md5(F), io:format("~s ~s~n", [binary:encode_hex(M), F]) end, ${list}), halt().`;
	const {stdout} = await execFileAsync('/usr/bin/erl', ['-noshell', '-eval', script], {maxBuffer: 16 * 1024 * 1024, timeout: 60_000});
	return new Map(stdout.trim().split('\n').map(line => {
		const [md5 = '', ...file] = line.split(' ');
		return [file.join(' '), md5.toLowerCase()];
	}));
}

async function ourMd5s(paths: readonly string[]): Promise<Map<string, string>> {
	return new Map(await Promise.all(paths.map(async (file): Promise<[string, string]> => {
		const read = await readBeamSnapshot(file);
		return [file, read.state === 'complete' ? read.snapshot.codeMd5 : read.state];
	})));
}

test('the snapshot\'s code MD5 equals beam_lib:md5/1 for every beam of the installed ejabberd', async t => {
	const beams = (await readdir(EJABBERD_EBIN).catch(() => [] as string[])).filter(file => file.endsWith('.beam')).map(file => path.join(EJABBERD_EBIN, file));
	if (beams.length === 0) {
		t.fail(`no beams in ${EJABBERD_EBIN}: install ejabberd 23.01 (apt-get install ejabberd)`);
		return;
	}
	const [expected, ours] = await Promise.all([erlangMd5s(beams), ourMd5s(beams)]);
	t.is(expected.size, beams.length);
	const different = beams.filter(file => ours.get(file) !== expected.get(file));
	t.deepEqual(different, [], `${different.length} of ${beams.length} differ`);
	t.log(`${beams.length} beams compared with beam_lib:md5/1`);
});

test('the snapshot\'s code MD5 equals beam_lib:md5/1 for fixtures compiled with and without debug_info', async t => {
	const directory = await mkdtemp(path.join(tmpdir(), 'reloader-md5-'));
	t.teardown(async () => rm(directory, {recursive: true, force: true}));
	const sources = [
		...['v1', 'v2'].flatMap(version => ['reload_probe', 'reload_other'].map(module => path.join(FIXTURES, version, `${module}.erl`))),
		path.join(directory, 'md5_funs.erl'),
	];
	await writeFile(path.join(directory, 'md5_funs.erl'), WITH_FUNS);
	const beams: string[] = [];
	for (const [label, flags] of [['plain', []], ['debug', ['+debug_info']]] as const) {
		for (const [index, source] of sources.entries()) {
			const out = path.join(directory, `${label}-${index}`);
			await mkdir(out);
			await execFileAsync('/usr/bin/erlc', [...flags, '-o', out, source], {timeout: 60_000});
			beams.push(path.join(out, `${path.basename(source, '.erl')}.beam`));
		}
	}
	const [expected, ours] = await Promise.all([erlangMd5s(beams), ourMd5s(beams)]);
	for (const beam of beams) {
		t.is(ours.get(beam), expected.get(beam), beam);
	}
	// debug_info adds a chunk that beam_lib:md5 leaves out: the code MD5 stays, the file digest does not.
	const plain = await readBeamSnapshot(beams[4] ?? '');
	const debug = await readBeamSnapshot(beams[4 + sources.length] ?? '');
	if (plain.state === 'complete' && debug.state === 'complete') {
		t.is(plain.snapshot.codeMd5, debug.snapshot.codeMd5);
		t.not(plain.snapshot.digest, debug.snapshot.digest);
	} else {
		t.fail('the md5_funs beams should be complete');
	}
});
