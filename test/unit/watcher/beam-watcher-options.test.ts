import test from 'ava';
import {BeamWatcher} from '../../../daemon/watcher/beam-watcher.ts';

const rejects = test.macro({
	exec: (t, pollIntervalMs: unknown, shown: string) => {
		const error = t.throws(() => new BeamWatcher({
			directories: [],
			onBeamWritten: () => undefined,
			onError: () => undefined,
			pollIntervalMs: pollIntervalMs as number,
		}));
		t.is((error as {code?: string}).code, 'ERR_CONFIG_INVALID');
		t.true(error?.message.includes(`got ${shown}`), error?.message);
	},
	title: (_, pollIntervalMs) => `pollIntervalMs ${String(pollIntervalMs)} is rejected with the value and its type`,
});

test(rejects, -5, '`-5` (number)');
test(rejects, 0, '`0` (number)');
test(rejects, 1.5, '`1.5` (number)');
test(rejects, '500', '`"500"` (string)');

test('with no directories the watcher is ready at once and closes twice without harm', async t => {
	const watcher = new BeamWatcher({directories: [], onBeamWritten: () => undefined, onError: () => undefined});
	await watcher.ready();
	const first = watcher.close();
	t.is(watcher.close(), first);
	await first;
	t.pass();
});
