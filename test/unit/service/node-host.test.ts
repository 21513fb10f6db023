import test from 'ava';
import {resolveConfig} from '../../../daemon/config/resolve-config.ts';
import {ReloaderError} from '../../../daemon/errors.ts';
import {checkNodeHost, nodeHostOf} from '../../../daemon/service/node-host.ts';

const config = resolveConfig({http: {url: 'http://[::1]:5280/api'}}, 'test');

test('the host a transport connects to', t => {
	t.is(nodeHostOf(config, 'dist', 'ejabberd@box.example'), 'box.example');
	t.is(nodeHostOf(config, 'http', 'ignored'), '::1');
	t.is(nodeHostOf(config, 'ctl', 'ejabberd@box.example'), undefined, 'ejabberdctl resolves it itself');
});

test('a host that resolves passes', async t => {
	await t.notThrowsAsync(checkNodeHost('localhost', 'node'));
});

test('a host that does not resolve is a config error naming it', async t => {
	const error = await t.throwsAsync(checkNodeHost('no-such-host.invalid', 'node'), {instanceOf: ReloaderError});
	t.is(error?.code, 'ERR_CONFIG_INVALID');
	t.regex(error?.message ?? '', /^node: the host "no-such-host\.invalid" does not resolve \(ENOTFOUND\)/);
});
