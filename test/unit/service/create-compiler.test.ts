import test from 'ava';
import {resolveConfig} from '../../../daemon/config/resolve-config.ts';
import {compilerKindOf, createModuleCompiler} from '../../../daemon/service/create-compiler.ts';
import {CTL_CAPABILITIES, DIST_CAPABILITIES, HTTP_CAPABILITIES} from '../../../daemon/transports/capabilities.ts';
import {fakeTransport} from '../../support/fake-transport.ts';

const kinds = test.macro({
	exec(t, setting: 'auto' | 'erlc' | 'node', capabilities: typeof DIST_CAPABILITIES, expected: 'erlc' | 'node') {
		t.is(compilerKindOf(setting, capabilities), expected);
	},
	title: (_title, setting: string, capabilities: typeof DIST_CAPABILITIES, expected: string) => `compiler: ${setting} over ${capabilities === DIST_CAPABILITIES ? 'dist' : capabilities === CTL_CAPABILITIES ? 'ctl' : 'http'} is ${expected}`,
});

test(kinds, 'auto', DIST_CAPABILITIES, 'node');
test(kinds, 'auto', CTL_CAPABILITIES, 'erlc');
test(kinds, 'auto', HTTP_CAPABILITIES, 'erlc');
test(kinds, 'erlc', DIST_CAPABILITIES, 'erlc');
test(kinds, 'node', DIST_CAPABILITIES, 'node');

test('the compiler built says which it is in its name (the compile records carry it)', async t => {
	const context = {ejabberdEbin: () => '/ebin', ejabberdVersion: () => '23.01', warn: () => undefined};
	const dist = fakeTransport({kind: 'dist', node: 'ejabberd@box'});
	t.is(createModuleCompiler(resolveConfig({transport: 'dist'}), dist, context).name, 'node\'s compiler (ejabberd@box)');
	t.is(createModuleCompiler(resolveConfig({transport: 'dist', compile: {compiler: 'node'}}), dist, context).name, 'node\'s compiler (ejabberd@box)');
	t.is(createModuleCompiler(resolveConfig({transport: 'dist', compile: {compiler: 'erlc', erlc: '/opt/otp/bin/erlc'}}), dist, context).name, 'erlc (/opt/otp/bin/erlc)');
	t.is(createModuleCompiler(resolveConfig({transport: 'ctl'}), fakeTransport({kind: 'ctl'}), context).name, 'erlc');
});
