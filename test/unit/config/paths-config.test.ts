import test from 'ava';
import {ConfigError, resolveConfig} from '../../../daemon/config/resolve-config.ts';

test('paths: defaults to none, keeps valid mappings frozen', t => {
	t.deepEqual(resolveConfig({}).paths, []);
	const config = resolveConfig({paths: [{local: '/srv/ebin', node: '/opt/ejabberd/lib/x/ebin'}]});
	t.deepEqual(config.paths, [{local: '/srv/ebin', node: '/opt/ejabberd/lib/x/ebin'}]);
	t.true(Object.isFrozen(config.paths[0]));
});

test('paths: every problem at once, each with its key path and value', t => {
	const error = t.throws(() => resolveConfig({paths: [{local: 'srv', node: '/a'}, {local: '/b', node: '/a/'}, {local: '/c', node: '/d', mode: 'ro'}]}), {instanceOf: ConfigError});
	t.deepEqual(error?.problems.map(problem => problem.path).sort(), ['paths[0].local', 'paths[1].node', 'paths[2].mode']);
	t.true(error?.message.includes('paths[0].local: must be an absolute path (starting with /), e.g. /srv/ejabberd/ebin, got `"srv"` (string)'), error?.message);
	t.true(error?.message.includes('paths[1].node: maps /a again (paths[0].node already does): each node directory may appear once, got `"/a/"` (string)'), error?.message);
	t.true(error?.message.includes('paths[2].mode: unknown key, got `"mode"` (string)'), error?.message);
});

test('paths: a missing side is named', t => {
	const error = t.throws(() => resolveConfig({paths: [{local: '/srv/ebin'}]}), {instanceOf: ConfigError});
	t.deepEqual(error?.problems.map(problem => problem.path), ['paths[0].node']);
});
