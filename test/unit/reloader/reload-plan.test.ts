import test from 'ava';
import {resolveConfig} from '../../../daemon/config/resolve-config.ts';
import {batchPurge, planForTransport, planReload} from '../../../daemon/reloader/reload-plan.ts';
import {transportFit} from '../../../daemon/transports/check-capabilities.ts';
import {CTL_CAPABILITIES, DIST_CAPABILITIES, HTTP_CAPABILITIES} from '../../../daemon/transports/capabilities.ts';

test('dist: verify by content, load directly, ask who holds old code', t => {
	const plan = planForTransport({kind: 'dist', capabilities: DIST_CAPABILITIES}, {purge: 'soft', loadNew: true});
	t.deepEqual(plan, {verify: 'content', loadDirect: true, loadNew: true, findHolders: true, purge: 'soft', unhonoured: []});
	t.true(Object.isFrozen(plan));
});

for (const [kind, capabilities] of [['ctl', CTL_CAPABILITIES], ['http', HTTP_CAPABILITIES]] as const) {
	test(`${kind}: verify by a second update_info, nothing loaded directly, no holders asked`, t => {
		t.deepEqual(planForTransport({kind, capabilities}, {purge: 'brutal', loadNew: false}), {verify: 'list', loadDirect: false, loadNew: false, findHolders: false, purge: 'brutal', unhonoured: []});
	});

	test(`${kind} after an auto fallback: options it cannot honour have no effect, and the plan says which`, t => {
		const plan = planForTransport({kind, capabilities}, {purge: 'soft', loadNew: true});
		t.like(plan, {purge: 'brutal', loadNew: false, findHolders: false});
		t.is(plan.unhonoured.length, 2);
		t.regex(plan.unhonoured[0] ?? '', new RegExp(`^purge: soft needs the dist transport \\(transport: ${kind} `));
		t.regex(plan.unhonoured[1] ?? '', /^loadNew: true needs the dist transport/);
	});
}

test('the plan of a configuration comes from its fit, the one resolveConfig and the auto fallback judged it by', t => {
	const config = resolveConfig({purge: 'soft', loadNew: true, watch: ['/opt/ebin']});
	const fit = transportFit(config, 'ctl');
	const plan = planReload(fit, config);
	t.like(plan, {purge: 'brutal', loadNew: false, verify: 'list'});
	t.deepEqual(plan.unhonoured, fit.problems.map(problem => problem.message));
	t.like(planReload(transportFit(config, 'dist'), config), {purge: 'soft', loadNew: true, unhonoured: []});
});

test('a batch\'s purge: forced brutal where holders can be seen, else the plan\'s', t => {
	const config = resolveConfig({purge: 'soft', watch: ['/opt/ebin']});
	const dist = planReload(transportFit(config, 'dist'), config);
	t.is(batchPurge(dist, undefined), 'soft');
	t.is(batchPurge(dist, 'brutal'), 'brutal');
	t.is(batchPurge(planReload(transportFit(config, 'ctl'), config), 'soft'), 'brutal');
});
