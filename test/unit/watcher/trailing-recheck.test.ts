import test from 'ava';
import {TrailingRecheck} from '../../../daemon/watcher/trailing-recheck.ts';

test('writes in a row to one path bring one re-check, after the last; other paths get their own', async t => {
	const due: string[] = [];
	let bothDue: () => void = () => undefined;
	const done = new Promise<void>(resolve => {
		bothDue = resolve;
	});
	const recheck = new TrailingRecheck(20, path => {
		due.push(path);
		if (due.length === 2) {
			bothDue();
		}
	});
	t.teardown(() => recheck.close());
	recheck.note('/ebin/a.beam');
	recheck.note('/ebin/b.beam');
	recheck.note('/ebin/a.beam');
	await done;
	t.deepEqual(due.sort(), ['/ebin/a.beam', '/ebin/b.beam']);
});

test('close cancels every pending re-check', async t => {
	const recheck = new TrailingRecheck(1, () => t.fail('no re-check after close'));
	recheck.note('/ebin/a.beam');
	recheck.close();
	await new Promise(resolve => setTimeout(resolve, 50));
	t.pass();
});
