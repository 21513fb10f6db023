import test from 'ava';
import {CompiledBeams, OWN_WRITE_ECHO_MS} from '../../../daemon/sources/compiled-beams.ts';

const beam = {module: 'mod_a', path: '/ebin/mod_a.beam', digest: 'aa'};

test('a settle that finds the bytes the compile stage wrote is its; other bytes, or another path, are not', t => {
	const compiled = new CompiledBeams();
	compiled.note(beam, 1000);
	t.true(compiled.isCompiled('/ebin/mod_a.beam', 'aa'));
	t.false(compiled.isCompiled('/ebin/mod_a.beam', 'bb'), 'rewritten by someone else since');
	t.false(compiled.isCompiled('/ebin/mod_a.beam', undefined));
	t.false(compiled.isCompiled('/ebin/mod_b.beam', 'aa'));
});

test('the watcher\'s reports of a compiled beam are its echo for a while, then writes like any', t => {
	const compiled = new CompiledBeams();
	compiled.note(beam, 1000);
	t.true(compiled.isEcho(beam.path, 1000));
	t.true(compiled.isEcho(beam.path, 1000 + OWN_WRITE_ECHO_MS));
	t.false(compiled.isEcho(beam.path, 1001 + OWN_WRITE_ECHO_MS));
	t.false(compiled.isEcho('/ebin/mod_b.beam', 1000));
});

test('old entries go when a new beam is noted: the map stays as small as the compiles of the last second', t => {
	const compiled = new CompiledBeams();
	compiled.note(beam, 0);
	compiled.note({module: 'mod_b', path: '/ebin/mod_b.beam', digest: 'bb'}, OWN_WRITE_ECHO_MS + 1);
	t.false(compiled.isCompiled(beam.path, 'aa'));
	t.true(compiled.isCompiled('/ebin/mod_b.beam', 'bb'));
});
