import test from 'ava';
import {parseUpdateList} from '../../../daemon/transports/ctl/ctl-transport.ts';

test('one module per line, blank lines and noise dropped', t => {
	t.deepEqual(parseUpdateList('mod_a\nmod_b\n\n'), ['mod_a', 'mod_b']);
	t.deepEqual(parseUpdateList(''), []);
	t.deepEqual(parseUpdateList('  mod_a  \r\nnot a module\n'), ['mod_a']);
});
