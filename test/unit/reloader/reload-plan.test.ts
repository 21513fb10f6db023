import test from 'ava';
import {planReload} from '../../../daemon/reloader/reload-plan.ts';
import {CTL_CAPABILITIES, DIST_CAPABILITIES, HTTP_CAPABILITIES} from '../../../daemon/transports/capabilities.ts';

test('dist: verify by content, load directly, ask who holds old code', t => {
	const plan = planReload('dist', DIST_CAPABILITIES, {purge: 'soft', loadNew: true});
	t.deepEqual(plan, {verify: 'content', loadDirect: true, loadNew: true, findHolders: true, purge: 'soft', unhonoured: []});
	t.true(Object.isFrozen(plan));
});

for (const [kind, capabilities] of [['ctl', CTL_CAPABILITIES], ['http', HTTP_CAPABILITIES]] as const) {
	test(`${kind}: verify by a second update_info, nothing loaded directly, no holders asked`, t => {
		t.deepEqual(planReload(kind, capabilities, {purge: 'brutal', loadNew: false}), {verify: 'list', loadDirect: false, loadNew: false, findHolders: false, purge: 'brutal', unhonoured: []});
	});

	test(`${kind} after an auto fallback: options it cannot honour have no effect, and the plan says which`, t => {
		const plan = planReload(kind, capabilities, {purge: 'soft', loadNew: true});
		t.like(plan, {purge: 'brutal', loadNew: false, findHolders: false});
		t.is(plan.unhonoured.length, 2);
		t.regex(plan.unhonoured[0] ?? '', new RegExp(`^purge: soft needs the dist transport \\(transport: ${kind} `));
		t.regex(plan.unhonoured[1] ?? '', /^loadNew: true needs the dist transport/);
	});
}
