import test from 'ava';
import {assertModuleName, isModuleName, moduleOfBeamPath} from '../../../daemon/modules/module-name.ts';

const accepts = test.macro({
	exec: (t, name: string) => t.true(isModuleName(name)),
	title: (_, name) => `accepts ${name}`,
});
const rejects = test.macro({
	exec: (t, name: string) => t.false(isModuleName(name)),
	title: (_, name) => `rejects ${JSON.stringify(name)}`,
});

for (const name of ['mod_hello', 'ELDAPv3', 'Elixir.Foo.Bar', 'a@b', 'x1']) {
	test(accepts, name);
}
for (const name of ['', '_x', '1mod', 'mod-x', 'mod x', "mod'", 'mod\n', '../etc', 'a'.repeat(256), 'déjà']) {
	test(rejects, name);
}

test('assertModuleName quotes the bad value and its type', t => {
	t.throws(() => assertModuleName(42), {message: /got `42` \(number\)/});
	t.throws(() => assertModuleName('mod x'), {message: /got `"mod x"` \(string\)/});
	t.is(assertModuleName('mod_x'), 'mod_x');
});

test('moduleOfBeamPath takes plain beam names only, not temp files', t => {
	t.is(moduleOfBeamPath('/x/ebin/mod_a.beam'), 'mod_a');
	t.is(moduleOfBeamPath('/x/ebin/.#mod_a.beam'), undefined);
	t.is(moduleOfBeamPath('/x/ebin/mod_a.beam~'), undefined);
	t.is(moduleOfBeamPath('/x/ebin/mod_a.beam.tmp'), undefined);
	t.is(moduleOfBeamPath('/x/ebin/.mod_a.beam.Xa3f'), undefined);
	t.is(moduleOfBeamPath('/x/ebin/ejabberd.app'), undefined);
});
