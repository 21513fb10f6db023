import {execFile} from 'node:child_process';
import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import test from 'ava';
import {CLI} from '../../support/cli.ts';

const UNIT_NAME = 'ejabberd-reloader.service';
const UNIT = fileURLToPath(new URL(`../../../config/${UNIT_NAME}`, import.meta.url));
const README = fileURLToPath(new URL('../../../README.md', import.meta.url));
const SYSTEMD_ANALYZE = '/usr/bin/systemd-analyze';

/** Section → key → every value given (a key may repeat); comments and blank lines dropped. */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
	const sections = new Map<string, Map<string, string[]>>();
	let section: Map<string, string[]> | undefined;
	for (const raw of text.split('\n')) {
		const line = raw.trim();
		if (line === '' || line.startsWith('#') || line.startsWith(';')) {
			continue;
		}
		const header = /^\[(.+)\]$/.exec(line);
		if (header !== null) {
			section = new Map();
			sections.set(header[1] ?? '', section);
			continue;
		}
		const equals = line.indexOf('=');
		if (section === undefined || equals === -1) {
			throw new Error(`Not a unit file line: ${raw}`);
		}
		const key = line.slice(0, equals).trim();
		section.set(key, [...(section.get(key) ?? []), line.slice(equals + 1).trim()]);
	}
	return sections;
}

function run(command: string, args: readonly string[]): Promise<{code: number; output: string}> {
	return new Promise((resolve, reject) => {
		execFile(command, args, {timeout: 60_000}, (error, stdout, stderr) => {
			if (error !== null && typeof error.code !== 'number') {
				reject(error);
				return;
			}
			resolve({code: error === null ? 0 : Number(error.code), output: `${stdout}${stderr}`});
		});
	});
}

test('systemd-analyze verify finds nothing wrong with the unit', async t => {
	const dir = await mkdtemp(join(tmpdir(), 'reloader-unit-'));
	t.teardown(() => rm(dir, {recursive: true, force: true}));
	// verify insists that ExecStart's program exists; /usr/local/bin/ejabberd-reloader
	// is not installed here, so the copy runs the built CLI with this node.
	const text = await readFile(UNIT, 'utf8');
	const copy = join(dir, UNIT_NAME);
	await writeFile(copy, text.replace(/^ExecStart=\S+/m, `ExecStart=${process.execPath} ${CLI}`));

	let result: {code: number; output: string};
	try {
		result = await run(SYSTEMD_ANALYZE, ['verify', copy]);
	} catch (error) {
		t.fail(`Cannot run ${SYSTEMD_ANALYZE} (${(error as Error).message}): install systemd (apt-get install systemd) to check the unit file`);
		return;
	}
	// verify exits 0 even for a setting it ignores ("Failed to parse ..., ignoring"),
	// so any word about this unit is a failure. Other units it loads (ejabberd's) may talk.
	const problems = result.output.split('\n').filter(line => line.includes(UNIT_NAME) || line.includes(copy));
	t.is(result.code, 0, result.output);
	t.deepEqual(problems, [], result.output);
});

test('the unit runs the daemon as ejabberd, restarts it on failure and hardens it as documented', async t => {
	const unit = parseUnit(await readFile(UNIT, 'utf8'));
	const value = (section: string, key: string) => unit.get(section)?.get(key)?.at(-1);
	const expected: ReadonlyArray<[string, string, string]> = [
		['Unit', 'After', 'ejabberd.service network.target'],
		['Unit', 'Wants', 'ejabberd.service'],
		['Service', 'Type', 'simple'],
		['Service', 'User', 'ejabberd'],
		['Service', 'Group', 'ejabberd'],
		['Service', 'ExecStart', '/usr/local/bin/ejabberd-reloader run --config /etc/ejabberd-reloader/config.yml'],
		['Service', 'ExecReload', '/bin/kill -HUP $MAINPID'],
		['Service', 'Environment', 'NODE_ENV=production'],
		['Service', 'Restart', 'on-failure'],
		['Service', 'RestartSec', '2'],
		['Service', 'RestartPreventExitStatus', '2'],
		['Service', 'KillSignal', 'SIGTERM'],
		['Service', 'TimeoutStopSec', '45'],
		['Service', 'LogsDirectory', 'ejabberd-reloader'],
		['Service', 'NoNewPrivileges', 'yes'],
		['Service', 'ProtectSystem', 'strict'],
		['Service', 'ProtectHome', 'yes'],
		['Service', 'PrivateTmp', 'yes'],
		['Service', 'PrivateDevices', 'yes'],
		['Service', 'ProtectKernelTunables', 'yes'],
		['Service', 'ProtectKernelModules', 'yes'],
		['Service', 'ProtectControlGroups', 'yes'],
		['Service', 'RestrictAddressFamilies', 'AF_UNIX AF_INET AF_INET6'],
		['Service', 'RestrictNamespaces', 'yes'],
		['Service', 'LockPersonality', 'yes'],
		['Service', 'MemoryDenyWriteExecute', 'no'],
		['Service', 'SystemCallArchitectures', 'native'],
		['Install', 'WantedBy', 'multi-user.target'],
	];
	for (const [section, key, wanted] of expected) {
		t.is(value(section, key), wanted, `[${section}] ${key}`);
	}
	// The daemon must reach the node over loopback TCP and bind its API.
	t.is(value('Service', 'PrivateNetwork'), undefined);
	t.is(value('Service', 'IPAddressDeny'), undefined);
	// Stopping must outlast the daemon's default shutdownGraceMs of 30 s.
	t.true(Number(value('Service', 'TimeoutStopSec')) > 30);
});

test('systemctl reload sends SIGHUP to the daemon, which re-reads its config', async t => {
	const unit = parseUnit(await readFile(UNIT, 'utf8'));
	const reload = unit.get('Service')?.get('ExecReload');
	t.deepEqual(reload, ['/bin/kill -HUP $MAINPID'], 'exactly one ExecReload, signalling the main process');
});

test('ExecStart runs the command where the README says `npm install -g` puts it', async t => {
	const unit = parseUnit(await readFile(UNIT, 'utf8'));
	const program = unit.get('Service')?.get('ExecStart')?.at(-1)?.split(/\s+/)[0];
	const readme = await readFile(README, 'utf8');
	const documented = /The unit runs `([^`]+)`/.exec(readme)?.[1];
	t.not(documented, undefined, 'README.md says "The unit runs `<path>`" in its service section');
	t.is(program, documented);
	// The install section names the same path, and how to adjust when npm's prefix differs.
	const install = readme.slice(readme.indexOf('## Install'), readme.indexOf('\n## ', readme.indexOf('## Install') + 1));
	t.true(install.includes(`\`${program ?? ''}\``), `the README's Install section names ${program ?? '(none)'}`);
	t.true(install.includes('npm prefix -g'), 'the README\'s Install section says how to check npm\'s prefix');
});
