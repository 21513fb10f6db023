import test from 'ava';
import {resolveConfig} from '../../../../daemon/config/resolve-config.ts';
import {DEFAULT_NODE, configuredNode, distOptions} from '../../../../daemon/transports/distribution/dist-options.ts';
import {IDENTITY_PATH_MAP} from '../../../../daemon/transports/path-map.ts';

const config = resolveConfig({
	transport: 'dist',
	node: 'a@h1',
	dist: {port: 4370, connectTimeoutMs: 1234, callTimeoutMs: 2345, slowCallLimitMs: 3456, maxFrameBytes: 70_000, tls: {certFile: '/c.pem', keyFile: '/k.pem', caFile: '/ca.pem'}},
});

test('every key of the dist section reaches the connection to the configured node', t => {
	const options = distOptions(config, {node: 'a@h1', cookieFile: '/cookie', paths: IDENTITY_PATH_MAP});
	for (const [key, value] of Object.entries(config.dist)) {
		t.deepEqual(options[key as keyof typeof options], value, `dist.${key}`);
	}
	t.like(options, {node: 'a@h1', cookieFile: '/cookie', port: 4370});
});

test('another cluster member gets the same settings but not dist.port: it is found through its own EPMD', t => {
	const options = distOptions(config, {node: 'b@h2', cookieFile: '/own-cookie', paths: IDENTITY_PATH_MAP});
	t.is(options.port, undefined);
	t.like(options, {node: 'b@h2', cookieFile: '/own-cookie', connectTimeoutMs: 1234, callTimeoutMs: 2345, slowCallLimitMs: 3456, maxFrameBytes: 70_000, tls: config.dist.tls});
});

test('the configured node defaults to Debian\'s', t => {
	t.is(configuredNode(resolveConfig({transport: 'dist'})), DEFAULT_NODE);
	t.is(configuredNode(config), 'a@h1');
});
