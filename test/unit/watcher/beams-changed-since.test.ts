import {mkdtemp, rm, utimes, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import test from 'ava';
import {beamsChangedSince} from '../../../daemon/watcher/directory-listing.ts';

test('beams whose inode changed since a moment are found, an mtime set back (install -p) included', async t => {
	const dir = await mkdtemp(join(tmpdir(), 'reloader-changed-since-'));
	t.teardown(async () => rm(dir, {recursive: true, force: true}));
	await writeFile(join(dir, 'old_mod.beam'), 'x');
	// ctime has the file system's granularity: the moment is taken strictly after the old write.
	const since = Date.now() + 50;
	await new Promise(resolve => setTimeout(resolve, 100));
	await writeFile(join(dir, 'new_mod.beam'), 'x');
	await writeFile(join(dir, 'kept_mtime.beam'), 'x');
	await utimes(join(dir, 'kept_mtime.beam'), new Date(0), new Date(0));
	await writeFile(join(dir, '.tmp_mod.beam.XXXX'), 'x');
	await writeFile(join(dir, 'notes.txt'), 'x');
	t.deepEqual((await beamsChangedSince(dir, since)).sort(), [join(dir, 'kept_mtime.beam'), join(dir, 'new_mod.beam')]);
});

test('a directory that cannot be read throws, so the caller tries again rather than taking "none"', async t => {
	await t.throwsAsync(beamsChangedSince(join(tmpdir(), 'reloader-no-such-dir-x9'), 0), {code: 'ENOENT'});
});
