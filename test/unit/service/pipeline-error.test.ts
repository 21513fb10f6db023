import test from 'ava';
import {ReloaderError} from '../../../daemon/errors.ts';
import {PipelineCheckError, asProblem} from '../../../daemon/service/pipeline-error.ts';

const cookie = new ReloaderError('ERR_COOKIE', 'Cannot read the Erlang cookie file /x: ENOENT', {hint: 'Run as the ejabberd user.'});
const watch = new ReloaderError('ERR_CONFIG_INVALID', 'watch[0]: /nope is not a directory (ENOENT)', {hint: 'Set `watch`.'});

test('one problem keeps its own message, code and hint', t => {
	const error = new PipelineCheckError([cookie]);
	t.is(error.code, 'ERR_COOKIE');
	t.is(error.message, cookie.message);
	t.is(error.hint, cookie.hint);
	t.deepEqual(error.problems, [cookie]);
});

test('several problems are listed together, each with what to do; a config problem makes it a config error (exit 2)', t => {
	const error = new PipelineCheckError([cookie, watch]);
	t.is(error.code, 'ERR_CONFIG_INVALID');
	t.regex(error.message, /2 problems/);
	t.regex(error.message, /cookie file \/x: ENOENT \(what to do: Run as the ejabberd user\.\)/);
	t.regex(error.message, /watch\[0\]: \/nope is not a directory/);
});

test('a problem that is no ReloaderError is named by what was being checked', t => {
	const problem = asProblem(new Error('boom'), 'api.listen');
	t.is(problem.code, 'ERR_CONFIG_INVALID');
	t.is(problem.message, 'api.listen: boom');
	t.is(asProblem(cookie, 'ignored'), cookie);
});
