import test from 'ava';
import {AllowList, remoteFunction} from '../../../../daemon/lib/erlang-dist/index.ts';

const LIST = [remoteFunction('ejabberd_update', 'update', 1), remoteFunction('code', 'which', 1)];

test('remoteFunction builds a frozen entry', t => {
	const entry = remoteFunction('code', 'which', 1);
	t.deepEqual(entry, {module: 'code', function: 'which', arity: 1});
	t.true(Object.isFrozen(entry));
});

test('listed functions pass; a wrong arity, module or function is refused with ERR_DIST_FORBIDDEN', t => {
	const allow = new AllowList(LIST);
	t.notThrows(() => allow.check('ejabberd_update', 'update', 1, 'ej@localhost'));
	for (const [module, name, arity] of [['ejabberd_update', 'update', 2], ['os', 'cmd', 1], ['code', 'delete', 1], ['erlang', 'halt', 0]] as const) {
		const error = t.throws(() => allow.check(module, name, arity, 'ej@localhost'));
		t.like(error, {code: 'ERR_DIST_FORBIDDEN', retryable: false});
		t.is(error?.message, `Refusing to call ${module}:${name}/${arity} on ej@localhost: it is not in the client's allow-list`);
	}
});

test('a wider list given at construction allows more', t => {
	const allow = new AllowList([...LIST, {module: 'erlang', function: 'node', arity: 0}]);
	t.true(allow.has('erlang', 'node', 0));
	t.false(new AllowList(LIST).has('erlang', 'node', 0));
});
