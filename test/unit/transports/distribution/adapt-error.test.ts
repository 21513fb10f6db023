import test from 'ava';
import {ReloaderError} from '../../../../daemon/errors.ts';
import {DistError} from '../../../../daemon/lib/erlang-dist/index.ts';
import {TermError} from '../../../../daemon/lib/erlang-term/index.ts';
import {toReloaderError} from '../../../../daemon/transports/distribution/adapt-error.ts';

test('a peer over the limits becomes ERR_DIST_LIMIT / ERR_ETF_LIMIT at the boundary, not retryable, with message, hint and cause kept', t => {
	const dist = new DistError('ERR_DIST_LIMIT', 'x@y announced a 4294967295-byte packet', {hint: 'broken or hostile'});
	const adapted = toReloaderError(dist);
	t.true(adapted instanceof ReloaderError);
	t.like(adapted, {code: 'ERR_DIST_LIMIT', retryable: false, message: dist.message, hint: 'broken or hostile', cause: dist});
	const term = new TermError('ERR_ETF_LIMIT', 'Refusing an Erlang term');
	t.like(toReloaderError(term), {code: 'ERR_ETF_LIMIT', message: 'Refusing an Erlang term', cause: term});
});
