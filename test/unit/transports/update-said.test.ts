import test from 'ava';
import {readStatusVersion, readUpdateSaid} from '../../../daemon/transports/update-said.ts';

const said = test.macro((t, text: string, expected: Record<string, 'updated' | 'notUpdated'>) => {
	t.deepEqual(Object.fromEntries(readUpdateSaid(text)), expected);
});

// 23.01 says nothing, whatever happened.
test('23.01 ejabberdctl update: nothing', said, '', {});
test('23.01 mod_http_api update: ""', said, '\n', {});
// 24.12, verified.
test('24.12 update M', said, 'Updated: mod_a\n', {mod_a: 'updated'});
test('24.12 update M, not updated', said, 'Not updated: mod_a\n', {mod_a: 'notUpdated'});
test('24.12 update all', said, 'Updated modules: mod_a, mod_b\n', {mod_a: 'updated', mod_b: 'updated'});
test('24.12 update all, nothing', said, 'No modules updated\n', {});
test('several answers joined', said, 'Updated: mod_a\nNot updated: mod_b', {mod_a: 'updated', mod_b: 'notUpdated'});
test('an unknown line is ignored (the raw text stays in the record)', said, 'Compiling ejabberd...\nok', {});

test('status names the version on both releases, else nothing', t => {
	t.is(readStatusVersion('The node ejabberd@localhost is started. Status: started\nejabberd 23.01-1 is running in that node'), '23.01-1');
	t.is(readStatusVersion('The node n@localhost is started. Status: started  ejabberd 24.12-3+deb13u2 is running in that node'), '24.12-3+deb13u2');
	t.is(readStatusVersion('ejabberd is not running in that node.'), undefined);
	t.is(readStatusVersion(''), undefined);
});
