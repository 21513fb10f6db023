import {mkdtemp, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import * as path from 'node:path';
import test from 'ava';
import {closeWatcher, openWatcher} from '../../../daemon/watcher/chokidar-watcher.ts';

test('chokidar errors go to onError, before and after close, and never throw', async t => {
	const directory = await mkdtemp(path.join(tmpdir(), 'reloader-chokidar-'));
	t.teardown(async () => rm(directory, {recursive: true, force: true}));
	const seen: unknown[] = [];
	const {watcher, ready} = openWatcher(directory, {ignoreInitial: true}, error => seen.push(error));
	await ready;
	const emfile = Object.assign(new Error('EMFILE: too many open files, watch'), {code: 'EMFILE'});
	t.notThrows(() => watcher.emit('error', emfile));
	t.deepEqual(seen, [emfile]);
	await closeWatcher(watcher);
	// chokidar's close() drops every listener; a scan still in flight may emit one more error.
	t.notThrows(() => watcher.emit('error', Object.assign(new Error('ENOSPC'), {code: 'ENOSPC'})));
	t.is(seen.length, 1);
});
