import {mkdir, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import test, {type ExecutionContext} from 'ava';
import {stringify} from 'yaml';
import type {UserConfig} from '../../daemon/config/schema.ts';
import {findFreePort} from '../../daemon/sandbox/free-port.ts';
import type {SandboxNode} from '../../daemon/sandbox/sandbox-node.ts';
import {CliProcess, runCli} from '../support/cli.ts';
import {nodeCall, useSandboxNode} from '../support/ejabberd.ts';
import {compileGenerated, compileLooping, installBeam} from '../support/fixtures.ts';

// Read-only is read-only (issue 15, part 4): `info` and `GET /update-modules`
// list what differs and never load, purge or kill anything, on any transport.
// Each case changes a core beam (update_info's directory) and a contrib beam
// (its own ebin on the code path, as ext_mod adds CONTRIB_MODULES_PATH/<mod>/ebin)
// whose module has a process in a local loop running its old code: any load of
// that module now would brutal-purge it, as `info` once killed mod_cron's timer.

const getNode = useSandboxNode(test);
let workDir = '';
/** Core modules loaded at v1 with v2 in the ebin: update_info lists each of them from then on. */
const changedCore: string[] = [];
/** Contrib modules loaded at v2 with v3 in their ebin: `watch: auto` finds every one of them. */
const changedContrib: string[] = [];

test.serial.before(async () => {
	workDir = await mkdtemp(join(tmpdir(), 'reloader-info-ro-'));
});

test.after.always(async () => {
	if (workDir !== '') {
		await rm(workDir, {recursive: true, force: true});
	}
});

async function build(compile: typeof compileGenerated, module: string, version: number): Promise<string> {
	const dir = join(workDir, `${module}-${version}`);
	await mkdir(dir);
	return compile(module, version, dir);
}

interface Changed {
	readonly core: string;
	readonly contrib: string;
	readonly contribEbin: string;
	/** The contrib module's looping process, as pid_to_list prints it. */
	readonly holder: string;
}

/**
 * A core module loaded at v1 with v2 installed; a contrib module whose process
 * loops in v1 (old code) while v2 is loaded and v3 is installed.
 */
async function changeCoreAndContrib(t: ExecutionContext, name: string): Promise<Changed> {
	const node = getNode();
	const core = `ro_core_${name}`;
	const contrib = `mod_ro_${name}`;
	const contribEbin = join(node.contribDir, contrib, 'ebin');
	await mkdir(contribEbin, {recursive: true});

	await installBeam(await build(compileGenerated, core, 1), node.ebinDir);
	t.is(await nodeCall(node, `code:ensure_loaded(${core})`), `{module, ${core}}`);

	await installBeam(await build(compileLooping, contrib, 1), contribEbin);
	t.is(await nodeCall(node, `code:add_patha("${node.toNodePath(contribEbin)}")`), 'true');
	const holder = await nodeCall(node, `pid_to_list(${contrib}:start())`);
	await installBeam(await build(compileLooping, contrib, 2), contribEbin);
	t.is(await nodeCall(node, `code:load_file(${contrib})`), `{module, ${contrib}}`);
	t.is(await nodeCall(node, `erlang:check_process_code(list_to_pid(${holder}), ${contrib})`), 'true', 'the holder runs old code: loading the module again would kill it');

	await installBeam(await build(compileGenerated, core, 2), node.ebinDir);
	await installBeam(await build(compileLooping, contrib, 3), contribEbin);
	changedCore.push(core);
	changedContrib.push(contrib);
	return {core, contrib, contribEbin, holder};
}

/** Every loaded module: the MD5 of its loaded code and whether it has old code, written by the node itself. */
async function loadedCode(node: SandboxNode, label: string): Promise<Map<string, string>> {
	const file = join(node.dir, `loaded-${label}-${Math.random().toString(16).slice(2)}.txt`);
	const md5 = 'case catch M:module_info(md5) of B when is_binary(B) -> binary:encode_hex(B); Other -> io_lib:format("~w", [Other]) end';
	assertWritten(await nodeCall(node, `file:write_file("${node.toNodePath(file)}", [[atom_to_list(M), 32, ${md5}, 32, atom_to_list(erlang:check_old_code(M)), 10] || {M, _} <- code:all_loaded()])`), file);
	const text = await readFile(file, 'utf8');
	await rm(file);
	return new Map(text.trim().split('\n').map(line => {
		const [module = '', ...rest] = line.split(' ');
		return [module, rest.join(' ')];
	}));
}

function assertWritten(printed: string, file: string): void {
	if (printed !== 'ok') {
		throw new Error(`The node could not write ${file}: ${printed}`);
	}
}

/** What changed between two looks at the loaded code: modules reloaded, purged or unloaded. Newly loaded modules (first loads) are listed apart. */
function compareLoaded(before: ReadonlyMap<string, string>, after: ReadonlyMap<string, string>): {changed: string[]; added: string[]} {
	const changed = [...before].filter(([module, state]) => after.get(module) !== state).map(([module, state]) => `${module}: ${state} -> ${after.get(module) ?? 'not loaded'}`);
	const added = [...after.keys()].filter(module => !before.has(module));
	return {changed, added};
}

/** The contrib module's process is alive, still on its old code, and the module is still at v2. */
async function assertHolderUntouched(t: ExecutionContext, {contrib, holder}: Changed): Promise<void> {
	const node = getNode();
	t.is(await nodeCall(node, `is_process_alive(list_to_pid(${holder}))`), 'true', 'the looping process was not killed');
	t.is(await nodeCall(node, `erlang:check_process_code(list_to_pid(${holder}), ${contrib})`), 'true', 'it still runs the old code: no purge');
	t.is(await nodeCall(node, `${contrib}:version()`), '2');
}

async function writeConfig(name: string, config: UserConfig): Promise<string> {
	const file = join(workDir, `${name}.yml`);
	await writeFile(file, stringify(config));
	return file;
}

const dist = (node: SandboxNode): UserConfig => ({transport: 'dist', node: node.node, cookieFile: node.cookieFile});
const ctl = (node: SandboxNode): UserConfig => ({transport: 'ctl', node: node.node, ctl: {command: [...node.ctlCommand]}});
const http = (node: SandboxNode): UserConfig => ({transport: 'http', node: node.node, http: {url: `http://127.0.0.1:${node.ports.http}/api`}});

const sorted = (names: readonly string[]) => [...names].sort();

interface InfoCase {
	readonly name: string;
	readonly config: (node: SandboxNode, changed: Changed) => UserConfig;
	/** What `info` must list once the case's modules are changed. */
	readonly expected: (changed: Changed) => string[];
}

const infoChangesNothing = test.macro({
	async exec(t, {name, config, expected}: InfoCase) {
		const node = getNode();
		const changed = await changeCoreAndContrib(t, name);
		const configFile = await writeConfig(name, config(node, changed));
		const before = await loadedCode(node, `${name}-before`);

		const result = await runCli(['info', '--config', configFile, '--log-format', 'json']);

		const after = await loadedCode(node, `${name}-after`);
		t.is(result.code, 0, result.stderr);
		const answer = JSON.parse(result.stdout) as {node: string; modules: string[]};
		t.is(answer.node, node.node);
		t.deepEqual(sorted(answer.modules), sorted(expected(changed)), result.stderr);
		const {changed: differs, added} = compareLoaded(before, after);
		t.deepEqual(differs, [], 'every module loaded before has the same code (MD5) and the same old code afterwards');
		t.log(`first loads during info (the init step's): ${added.join(', ') || 'none'}`);
		t.false(added.includes(changed.core) || added.includes(changed.contrib));
		await assertHolderUntouched(t, changed);
		t.is(await nodeCall(node, `${changed.core}:version()`), '1');
		const events = result.stderr.split('\n').flatMap(line => {
			try {
				return [(JSON.parse(line) as {event?: string}).event];
			} catch {
				return [];
			}
		});
		t.true(events.includes('init'), result.stderr);
		t.false(events.includes('batch') || events.includes('killed'), 'no batch ran, nobody was killed');
	},
	title: (_given, {name}: InfoCase) => `info over ${name} lists the changed modules and loads, purges and kills nothing`,
});

test.serial(infoChangesNothing, {
	name: 'dist',
	config: (node, {contribEbin}) => ({...dist(node), watch: [node.ebinDir, contribEbin]}),
	expected: ({contrib}) => [...changedCore, contrib],
});

test.serial(infoChangesNothing, {
	name: 'dist_auto',
	// `watch: auto` finds every contrib ebin holding a loaded module: the earlier cases' too.
	config: node => ({...dist(node), watch: 'auto'}),
	expected: () => [...changedCore, ...changedContrib],
});

test.serial(infoChangesNothing, {
	name: 'ctl',
	// ctl cannot see which code the node runs: a contrib module is beyond its sight, the core one is listed.
	config: (node, {contribEbin}) => ({...ctl(node), watch: [node.ebinDir, contribEbin]}),
	expected: () => [...changedCore],
});

test.serial(infoChangesNothing, {
	name: 'http',
	// Like ctl: mod_http_api's update_list only.
	config: (node, {contribEbin}) => ({...http(node), watch: [node.ebinDir, contribEbin]}),
	expected: () => [...changedCore],
});

interface ApiCase {
	readonly transport: 'dist' | 'ctl';
	readonly config: (node: SandboxNode) => UserConfig;
}

const getUpdateModulesChangesNothing = test.macro({
	async exec(t, {transport, config}: ApiCase) {
		const node = getNode();
		const name = `api_${transport}`;
		// The running daemon watches only a directory of its own: what changes below is not its to load.
		const watched = join(node.contribDir, `mod_ro_watched_${name}`, 'ebin');
		await mkdir(watched, {recursive: true});
		const listen = `127.0.0.1:${await findFreePort()}`;
		const configFile = await writeConfig(`${name}-run`, {...config(node), watch: [watched], api: {listen}});
		const daemon = new CliProcess(['run', '--config', configFile, '--log-format', 'json']);
		t.teardown(() => daemon.kill());
		await daemon.waitForLine('stderr', line => line.includes('"event":"api"'), 180_000);

		const changed = await changeCoreAndContrib(t, name);
		const before = await loadedCode(node, `${name}-before`);
		const response = await fetch(`http://${listen}/update-modules`);
		const after = await loadedCode(node, `${name}-after`);

		t.is(response.status, 200);
		const answer = await response.json() as {modules: string[]};
		t.true(answer.modules.includes(changed.core), JSON.stringify(answer));
		t.deepEqual(sorted(answer.modules), sorted(changedCore), 'the unwatched contrib module is not the daemon\'s to list');
		const {changed: differs, added} = compareLoaded(before, after);
		t.deepEqual(differs, [], 'every module loaded before has the same code (MD5) and the same old code afterwards');
		t.deepEqual(added, [], 'nothing was loaded');
		await assertHolderUntouched(t, changed);
		t.is(await nodeCall(node, `${changed.core}:version()`), '1');
		t.false(daemon.records().some(record => record.event === 'batch' || record.event === 'killed'), daemon.stderrLines.join('\n'));

		daemon.child.kill('SIGTERM');
		t.is(await daemon.exited, 0);
	},
	title: (_given, {transport}: ApiCase) => `GET /update-modules of a running daemon over ${transport} lists a changed core module it does not watch and loads nothing`,
});

test.serial(getUpdateModulesChangesNothing, {transport: 'dist', config: dist});
test.serial(getUpdateModulesChangesNothing, {transport: 'ctl', config: ctl});
