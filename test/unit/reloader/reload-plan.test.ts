import test from 'ava';
import {planReload} from '../../../daemon/reloader/reload-plan.ts';
import {CTL_CAPABILITIES, DIST_CAPABILITIES, HTTP_CAPABILITIES} from '../../../daemon/transports/capabilities.ts';

test('dist: verify by content, load directly, ask who holds old code', t => {
	const plan = planReload('dist', DIST_CAPABILITIES, {purge: 'soft', loadNew: true});
	t.deepEqual(plan, {verify: 'content', loadDirect: true, loadNew: true, findHolders: true, purge: 'soft'});
	t.true(Object.isFrozen(plan));
});

for (const [kind, capabilities] of [['ctl', CTL_CAPABILITIES], ['http', HTTP_CAPABILITIES]] as const) {
	test(`${kind}: verify by a second update_info, nothing loaded directly, no holders asked`, t => {
		t.deepEqual(planReload(kind, capabilities, {purge: 'brutal', loadNew: false}), {verify: 'list', loadDirect: false, loadNew: false, findHolders: false, purge: 'brutal'});
	});

	test(`${kind}: an option it cannot honour is refused, not silently dropped`, t => {
		const error = t.throws(() => planReload(kind, capabilities, {purge: 'soft', loadNew: true}), {code: 'ERR_CONFIG_INVALID'});
		t.regex(error?.message ?? '', new RegExp(`^purge: soft needs the dist transport \\(transport: ${kind} .*; loadNew: true needs the dist transport`));
	});
}
