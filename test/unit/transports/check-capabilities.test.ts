import test from 'ava';
import {CTL_CAPABILITIES, DIST_CAPABILITIES, HTTP_CAPABILITIES, capabilitiesOf, type TransportCapabilities} from '../../../daemon/transports/capabilities.ts';
import {resolveConfig} from '../../../daemon/config/resolve-config.ts';
import {capabilityProblems, describeAutoFallback, transportFit, type CapabilityOptions} from '../../../daemon/transports/check-capabilities.ts';

const BASE: CapabilityOptions = {transport: 'ctl', purge: 'brutal', loadNew: false, watch: ['/opt/ebin']};

test('each transport declares its capabilities once, frozen', t => {
	for (const kind of ['dist', 'ctl', 'http'] as const) {
		t.true(Object.isFrozen(capabilitiesOf(kind)), kind);
	}
	t.is(capabilitiesOf('dist'), DIST_CAPABILITIES);
	t.true(Object.values(DIST_CAPABILITIES).every(Boolean));
	t.true(Object.values(CTL_CAPABILITIES).every(flag => !flag));
	t.true(Object.values(HTTP_CAPABILITIES).every(flag => !flag));
});

const cases: ReadonlyArray<{title: string; options: Partial<CapabilityOptions>; capabilities: TransportCapabilities; expected: ReadonlyArray<{path: string; message: string}>}> = [
	{title: 'defaults over ctl: nothing to refuse', options: {}, capabilities: CTL_CAPABILITIES, expected: []},
	{title: 'everything over dist: nothing to refuse', options: {transport: 'dist', purge: 'soft', loadNew: true, watch: 'auto', node: 'other@host'}, capabilities: DIST_CAPABILITIES, expected: []},
	{
		title: 'purge: soft over ctl',
		options: {purge: 'soft'},
		capabilities: CTL_CAPABILITIES,
		expected: [{path: 'purge', message: 'purge: soft needs the dist transport (transport: ctl cannot see which processes run old code): set transport: dist with a readable cookieFile, or remove purge: soft'}],
	},
	{
		title: 'purge: soft over http',
		options: {transport: 'http', purge: 'soft'},
		capabilities: HTTP_CAPABILITIES,
		expected: [{path: 'purge', message: 'purge: soft needs the dist transport (transport: http cannot see which processes run old code): set transport: dist with a readable cookieFile, or remove purge: soft'}],
	},
	{
		title: 'loadNew over ctl',
		options: {loadNew: true},
		capabilities: CTL_CAPABILITIES,
		expected: [{path: 'loadNew', message: 'loadNew: true needs the dist transport (transport: ctl cannot tell a module the node never loaded from an unchanged one, nor load a beam directly): set transport: dist with a readable cookieFile, or remove loadNew: true'}],
	},
	{
		title: 'loadNew over a transport that loads beams but cannot see what is loaded: only the missing half is named',
		options: {loadNew: true},
		capabilities: {...CTL_CAPABILITIES, loadBeam: true},
		expected: [{path: 'loadNew', message: 'loadNew: true needs the dist transport (transport: ctl cannot tell a module the node never loaded from an unchanged one): set transport: dist with a readable cookieFile, or remove loadNew: true'}],
	},
	{title: 'watch: auto over ctl for the local default node: the installed ebin is right', options: {watch: 'auto'}, capabilities: CTL_CAPABILITIES, expected: []},
	{title: 'watch: auto over ctl, node named ejabberd@localhost', options: {watch: 'auto', node: 'ejabberd@localhost'}, capabilities: CTL_CAPABILITIES, expected: []},
	{
		title: 'watch: auto over ctl for another node',
		options: {watch: 'auto', node: 'other@localhost'},
		capabilities: CTL_CAPABILITIES,
		expected: [{path: 'watch', message: 'watch: auto needs the dist transport to find the code directory of other@localhost (transport: ctl cannot ask the node where its code is, and other@localhost need not load the installed ejabberd\'s ebin): set transport: dist with a readable cookieFile, or list in watch the node\'s ebin as this host sees it'}],
	},
	{title: 'watch: auto over http on loopback', options: {transport: 'http', watch: 'auto', httpUrl: 'http://127.0.0.1:5280/api'}, capabilities: HTTP_CAPABILITIES, expected: []},
	{
		title: 'watch: auto over http to another machine',
		options: {transport: 'http', watch: 'auto', httpUrl: 'http://xmpp.example.org:5280/api'},
		capabilities: HTTP_CAPABILITIES,
		expected: [{path: 'watch', message: 'watch: auto needs the dist transport to find the code directory of the node behind http://xmpp.example.org:5280/api (transport: http cannot ask the node where its code is, and the node behind http://xmpp.example.org:5280/api need not load the installed ejabberd\'s ebin): set transport: dist with a readable cookieFile, or list in watch the node\'s ebin as this host sees it'}],
	},
	{title: 'watch: auto over ctl with the plain ejabberdctl by its full path', options: {watch: 'auto', ctlCommand: ['/usr/sbin/ejabberdctl']}, capabilities: CTL_CAPABILITIES, expected: []},
	{title: 'watch: auto over ctl with no mappings', options: {watch: 'auto', paths: [], ctlCommand: ['ejabberdctl']}, capabilities: CTL_CAPABILITIES, expected: []},
	{
		title: 'watch: auto over ctl with mapped paths: the node is in a container or a chroot',
		options: {watch: 'auto', paths: [{local: '/srv/ebin', node: '/opt/ejabberd/lib/x/ebin'}]},
		capabilities: CTL_CAPABILITIES,
		expected: [{path: 'watch', message: 'watch: auto cannot locate the node\'s ebin with certainty (transport: ctl cannot ask the node where its code is, and paths maps a directory to other paths on the node, so the node runs in a container or a chroot and this host\'s ejabberd install is not its own): set transport: dist with a readable cookieFile, or list in watch the node\'s ebin as this host sees it (e.g. watch: [/srv/ebin] if that is where paths puts its ebin)'}],
	},
	{
		title: 'watch: auto over http on loopback with mapped paths (a container publishing its port)',
		options: {transport: 'http', watch: 'auto', httpUrl: 'http://127.0.0.1:5280/api', paths: [{local: '/a', node: '/b'}, {local: '/c', node: '/d'}]},
		capabilities: HTTP_CAPABILITIES,
		expected: [{path: 'watch', message: 'watch: auto cannot locate the node\'s ebin with certainty (transport: http cannot ask the node where its code is, and paths maps 2 directories to other paths on the node'}],
	},
	{
		title: 'watch: auto over ctl run through chroot: another install',
		options: {watch: 'auto', ctlCommand: ['chroot', '/var/cache/root', '/usr/sbin/ejabberdctl', '--config-dir', '/compat/n/etc']},
		capabilities: CTL_CAPABILITIES,
		expected: [{path: 'watch', message: 'watch: auto cannot locate the node\'s ebin with certainty (transport: ctl cannot ask the node where its code is, and ctl.command ["chroot","/var/cache/root","/usr/sbin/ejabberdctl","--config-dir","/compat/n/etc"] is not the plain ejabberdctl: it may run a node of another install (a chroot, a container, another config dir), whose ebin need not be this host\'s installed one): set transport: dist with a readable cookieFile, or list in watch the node\'s ebin as this host sees it'}],
	},
	{title: 'ctl.command does not matter over http', options: {transport: 'http', watch: 'auto', httpUrl: 'http://localhost:5280/api', ctlCommand: ['docker', 'exec', 'x', 'ejabberdctl']}, capabilities: HTTP_CAPABILITIES, expected: []},
	{title: 'mapped paths over dist: the node says where its code is', options: {transport: 'dist', watch: 'auto', paths: [{local: '/a', node: '/b'}]}, capabilities: DIST_CAPABILITIES, expected: []},
	{title: 'listed watch directories need nothing', options: {node: 'other@host', transport: 'http', httpUrl: 'http://xmpp.example.org/api'}, capabilities: HTTP_CAPABILITIES, expected: []},
	{
		title: 'compile.compiler: node over ctl',
		options: {compiler: 'node'},
		capabilities: CTL_CAPABILITIES,
		expected: [{path: 'compile.compiler', message: 'compile.compiler: node needs the dist transport (transport: ctl cannot call the node\'s compile:file): set transport: dist with a readable cookieFile, or set compile.compiler: erlc (or auto) to compile with this host\'s erlc'}],
	},
	{title: 'compile.compiler: node over dist', options: {transport: 'dist', compiler: 'node'}, capabilities: DIST_CAPABILITIES, expected: []},
	{title: 'compile.compiler: auto over http: erlc, nothing to refuse', options: {transport: 'http', compiler: 'auto'}, capabilities: HTTP_CAPABILITIES, expected: []},
	{
		title: 'every problem at once, in a stable order',
		options: {purge: 'soft', loadNew: true, watch: 'auto', node: 'other@host'},
		capabilities: CTL_CAPABILITIES,
		expected: [{path: 'purge', message: 'purge: soft'}, {path: 'loadNew', message: 'loadNew: true'}, {path: 'watch', message: 'watch: auto'}],
	},
];

for (const {title, options, capabilities, expected} of cases) {
	test(`capabilityProblems: ${title}`, t => {
		const problems = capabilityProblems({...BASE, ...options}, capabilities);
		t.deepEqual(problems.map(problem => problem.path), expected.map(problem => problem.path));
		for (const [index, problem] of problems.entries()) {
			t.true(problem.message.startsWith(expected[index]?.message ?? '∅'), problem.message);
			t.is(problem.message, `${problem.reason}: ${problem.remedy}`);
		}
	});
}

test('the auto fallback warning names the choice, why, and every option that lost its effect', t => {
	const message = describeAutoFallback(transportFit(resolveConfig({purge: 'soft', loadNew: true, watch: 'auto', node: 'other@host'}), 'ctl'), 'no cookie is readable');
	t.regex(message, /^transport: auto chose ctl because no cookie is readable, so these options have no effect: /);
	for (const option of ['purge: soft needs', 'loadNew: true needs', 'watch: auto needs']) {
		t.true(message.includes(option), option);
	}
	t.regex(message, /Set cookieFile to the node's cookie to use dist/);
});

test('the auto fallback warning with nothing lost still says what verification becomes', t => {
	const message = describeAutoFallback(transportFit(resolveConfig({purge: 'brutal', loadNew: false, watch: 'auto'}), 'ctl'), 'no cookie is readable');
	t.regex(message, /^transport: auto chose ctl because no cookie is readable; batches are verified by a second update_list/);
});

test('a configuration\'s fit to a transport is worked out once and shared: every caller gets the same frozen value', t => {
	const config = resolveConfig({purge: 'soft', loadNew: true, cluster: {}});
	const fit = transportFit(config, 'ctl');
	t.is(transportFit(config, 'ctl'), fit);
	t.true(Object.isFrozen(fit) && Object.isFrozen(fit.problems));
	t.deepEqual(fit.problems.map(problem => problem.path), ['purge', 'loadNew', 'cluster']);
	t.deepEqual(transportFit(config, 'dist').problems, []);
	// Another configuration (even an equal one) has its own.
	t.not(transportFit(resolveConfig({purge: 'soft', loadNew: true, cluster: {}}), 'ctl'), fit);
});

test('compile.compiler: node is refused with the configuration over ctl and http, naming the option', t => {
	for (const transport of ['ctl', 'http'] as const) {
		const error = t.throws(() => resolveConfig({transport, compile: {compiler: 'node'}}));
		t.true(error?.message.includes('compile.compiler: node needs the dist transport'), error?.message);
	}
	t.notThrows(() => resolveConfig({transport: 'dist', compile: {compiler: 'node'}}));
	t.is(resolveConfig({}).compile.compiler, 'auto');
});
