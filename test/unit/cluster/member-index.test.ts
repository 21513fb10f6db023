import test from 'ava';
import {MemberIndex} from '../../../daemon/cluster/member-index.ts';
import {BeamIndex} from '../../../daemon/modules/beam-index.ts';
import {NEW, OLD} from './_records.ts';

function base(): BeamIndex {
	const index = new BeamIndex();
	index.noteVersion('mod_x', '/ebin/mod_x.beam', 'v1', OLD);
	index.notePath('mod_y', '/ebin/mod_y.beam');
	return index;
}

test('until a member notes a version of its own, it sees the daemon\'s', t => {
	const index = base();
	const a = new MemberIndex(index);
	t.deepEqual(a.get('mod_x'), {path: '/ebin/mod_x.beam', vsn: 'v1', codeMd5: OLD});
	t.is(a.get('mod_nothere'), undefined);
});

test('each member keeps its own versions: one member\'s batch does not move another\'s "before"', t => {
	const index = base();
	const a = new MemberIndex(index);
	const b = new MemberIndex(index);
	a.noteVersion('mod_x', '/ebin/mod_x.beam', 'v2', NEW);
	t.deepEqual(a.get('mod_x'), {path: '/ebin/mod_x.beam', vsn: 'v2', codeMd5: NEW});
	t.deepEqual(b.get('mod_x'), {path: '/ebin/mod_x.beam', vsn: 'v1', codeMd5: OLD});
	t.deepEqual(index.get('mod_x'), {path: '/ebin/mod_x.beam', vsn: 'v1', codeMd5: OLD}, 'nor the daemon\'s');
	b.noteVersion('mod_x', '/ebin/mod_x.beam', 'v3', undefined);
	t.deepEqual(b.get('mod_x'), {path: '/ebin/mod_x.beam', vsn: 'v3', codeMd5: undefined});
	t.is(a.get('mod_x')?.vsn, 'v2');
});

test('paths go through to the daemon\'s index: where a beam is, every member and the daemon see alike', t => {
	const index = base();
	const a = new MemberIndex(index);
	const b = new MemberIndex(index);
	a.noteVersion('mod_x', '/ebin2/mod_x.beam', 'v2', NEW);
	t.is(index.get('mod_x')?.path, '/ebin2/mod_x.beam');
	t.is(b.get('mod_x')?.path, '/ebin2/mod_x.beam');
	t.is(a.get('mod_x')?.path, '/ebin2/mod_x.beam');
	b.notePath('mod_new', '/ebin/mod_new.beam');
	t.true(index.has('mod_new'));
	t.true(a.has('mod_new'));
	t.is(a.size, 3);
	t.deepEqual(a.modules().sort(), ['mod_new', 'mod_x', 'mod_y']);
	a.notePath('mod_y', '/ebin3/mod_y.beam');
	t.deepEqual(b.get('mod_y'), {path: '/ebin3/mod_y.beam', vsn: undefined, codeMd5: undefined});
});

test('strays are the daemon\'s', t => {
	const index = base();
	const a = new MemberIndex(index);
	a.noteStray({path: '/ebin/x.beam', what: 'a directory'});
	t.deepEqual(index.strays(), [{path: '/ebin/x.beam', what: 'a directory'}]);
	t.deepEqual(new MemberIndex(index).strays(), index.strays());
});
