import test from 'ava';
import {resolveConfig} from '../../../daemon/config/resolve-config.ts';
import {createTransport} from '../../../daemon/transports/create-transport.ts';

const noCookie = async (): Promise<undefined> => undefined;

test('auto without a readable cookie falls back to ctl with ONE WARN_TRANSPORT_AUTO warning listing what lost its effect', async t => {
	const warnings: Array<[string, string | undefined]> = [];
	const config = resolveConfig({purge: 'soft', loadNew: true, watch: 'auto', node: 'other@localhost'});
	const transport = await createTransport(config, (message, code) => warnings.push([message, code]), {findCookieFile: noCookie});
	t.teardown(() => transport.close());
	t.is(transport.kind, 'ctl');
	t.is(warnings.length, 1);
	const [message, code] = warnings[0] ?? ['', undefined];
	t.is(code, 'WARN_TRANSPORT_AUTO');
	t.regex(message, /^transport: auto chose ctl because none of .* is readable by this user, so these options have no effect: /);
	for (const option of ['purge: soft', 'loadNew: true', 'watch: auto']) {
		t.true(message.includes(option), option);
	}
});

test('auto with a readable cookie is dist, without a warning', async t => {
	const warnings: string[] = [];
	const transport = await createTransport(resolveConfig({purge: 'soft'}), message => warnings.push(message), {findCookieFile: async () => '/nonexistent/cookie'});
	t.teardown(() => transport.close());
	t.is(transport.kind, 'dist');
	t.deepEqual(transport.capabilities, {verifyByContent: true, loadBeam: true, oldCodeHolders: true, incarnation: true, updateResult: true, codeDirectory: true, compileModule: true});
	t.deepEqual(warnings, []);
});

test('an explicit ctl or http transport declares what it cannot do, and says so when called anyway', async t => {
	for (const transport of ['ctl', 'http'] as const) {
		const built = await createTransport(resolveConfig({transport}), () => t.fail('no warning expected'));
		t.is(built.kind, transport);
		t.false(built.capabilities.loadBeam);
		t.is(built.incarnation(), undefined);
		await t.throwsAsync(built.loadBeam({module: 'm', path: '/x/m.beam'}, 'brutal'), {code: 'ERR_CONFIG_INVALID', message: `transport ${transport} cannot load a beam directly (capabilities.loadBeam is false)`});
		await t.throwsAsync(built.oldCodeHolders(['m']), {code: 'ERR_CONFIG_INVALID'});
		await t.throwsAsync(built.moduleStates([]), {code: 'ERR_CONFIG_INVALID'});
		await t.throwsAsync(built.codeDirectory(), {code: 'ERR_CONFIG_INVALID'});
		await t.throwsAsync(built.compileModule({source: '/src/m.erl', includeDirs: [], applications: [], lastIncludeDirs: [], flags: [], features: [], timeoutMs: 1000, maxDiagnostics: 50, maxBeamBytes: 1024}), {code: 'ERR_CONFIG_INVALID', message: `transport ${transport} cannot compile with the node's own compiler (capabilities.compileModule is false)`});
		await built.close();
	}
});
