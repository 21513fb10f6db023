import {randomBytes} from 'node:crypto';
import {chmod, copyFile, lstat, open, rename, stat, symlink, unlink, writeFile} from 'node:fs/promises';
import {hostname, uptime} from 'node:os';
import {basename, dirname, join} from 'node:path';

/** Told the base name of each file a replay creates, renames or removes, the saved file's own included. */
export type OnName = (name: string) => void;

/** Save `content` to the existing file `path` the way one editor does, step by step on the real file system. */
export type EditorSave = (path: string, content: string, onName?: OnName) => Promise<void>;

/**
 * Each editor's save of an existing file, replayed as the file-system
 * operations it really makes, in order, so a watcher sees what it would see
 * beside that editor: temporary files appearing and vanishing, the source
 * renamed away and back, a truncated file growing.
 */
export const editorSaves = {
	vim: saveLikeVim,
	vimBackupcopyYes: saveLikeVimBackupcopyYes,
	emacs: saveLikeEmacs,
	jetbrains: saveLikeJetBrains,
	vscode: saveAtomically,
	sedInPlace: saveLikeSedInPlace,
	inPlace: saveInPlace,
} as const satisfies Record<string, EditorSave>;

export type EditorName = keyof typeof editorSaves;

/**
 * vim with its defaults on Linux ('backupcopy' auto, 'writebackup' on,
 * 'backup' off; `:help backupcopy`, buf_write() in bufwrite.c):
 * - the swap file `.x.erl.swp` exists while the buffer is edited;
 * - to learn whether renaming is safe, vim creates `4913` in the directory
 *   (5036, 5159, ... while taken: +123 each), gives it the file's owner,
 *   and deletes it;
 * - renames `x.erl` to the backup `x.erl~`, writes a new `x.erl`, sets the
 *   old file's mode on it, and deletes the backup;
 * - `:q` deletes the swap file.
 */
async function saveLikeVim(path: string, content: string, onName: OnName = ignoreName): Promise<void> {
	const mode = await modeOf(path);
	const swap = await createVimSwap(path, onName);
	const probe = await freeVimProbe(dirname(path));
	onName(basename(probe));
	await (await open(probe, 'wx', mode)).close();
	await unlink(probe);
	const backup = `${path}~`;
	onName(basename(backup));
	await rename(path, backup);
	onName(basename(path));
	await writeFile(path, content);
	await chmod(path, mode);
	await unlink(backup);
	await unlink(swap);
}

/**
 * vim with `:set backupcopy=yes` (the file keeps its inode, hard links and
 * owner): copies `x.erl` to `x.erl~`, truncates `x.erl` and writes it in
 * place, deletes the backup. The swap file is there throughout, as above.
 */
async function saveLikeVimBackupcopyYes(path: string, content: string, onName: OnName = ignoreName): Promise<void> {
	const swap = await createVimSwap(path, onName);
	const backup = `${path}~`;
	onName(basename(backup));
	await copyFile(path, backup);
	onName(basename(path));
	await writeFile(path, content);
	await unlink(backup);
	await unlink(swap);
}

/**
 * GNU Emacs with its defaults, the first save of a buffer in a session:
 * - once the buffer is modified, the lock `.#x.erl`: a symlink to
 *   `user@host.pid:boottime` (a dangling one; it is never followed);
 * - after 30 s idle, the auto-save file `#x.erl#` (here always);
 * - on save (backup-buffer, then write-region): renames `x.erl` to the
 *   backup `x.erl~`, writes a new `x.erl`, sets the old mode on it, deletes
 *   the auto-save file, and removes the lock as the buffer is unmodified.
 * The backup stays, as emacs leaves it. Later saves of the same buffer
 * write in place.
 */
async function saveLikeEmacs(path: string, content: string, onName: OnName = ignoreName): Promise<void> {
	const mode = await modeOf(path);
	const lock = join(dirname(path), `.#${basename(path)}`);
	onName(basename(lock));
	const bootTime = Math.floor(Date.now() / 1000 - uptime());
	await symlink(`${process.env.USER ?? 'user'}@${hostname()}.${process.pid}:${bootTime}`, lock);
	const autoSave = join(dirname(path), `#${basename(path)}#`);
	onName(basename(autoSave));
	await writeFile(autoSave, content);
	const backup = `${path}~`;
	onName(basename(backup));
	await rename(path, backup);
	onName(basename(path));
	await writeFile(path, content);
	await chmod(path, mode);
	await unlink(autoSave);
	await unlink(lock);
}

/**
 * IntelliJ IDEA and the other JetBrains IDEs with "safe write" on (the
 * default): the new content goes to `x.erl___jb_tmp___` (given the old
 * mode), `x.erl` is renamed to `x.erl___jb_old___`, the temp file renamed to
 * `x.erl`, and the old one deleted.
 */
async function saveLikeJetBrains(path: string, content: string, onName: OnName = ignoreName): Promise<void> {
	const mode = await modeOf(path);
	const temporary = `${path}___jb_tmp___`;
	const old = `${path}___jb_old___`;
	onName(basename(temporary));
	await writeFile(temporary, content);
	await chmod(temporary, mode);
	onName(basename(old));
	await rename(path, old);
	onName(basename(path));
	await rename(temporary, path);
	await unlink(old);
}

/**
 * An atomic writer: the content goes to the dotfile `.x.erl.<random>.tmp`
 * beside the target, given the old mode, then renamed over `x.erl` (one
 * rename, so a reader sees the old file or the new one, never a part).
 * VS Code's own atomic writes name theirs `x.erl.vsctmp`; its plain save of
 * a local file writes in place, which `inPlace` replays.
 */
async function saveAtomically(path: string, content: string, onName: OnName = ignoreName): Promise<void> {
	const mode = await modeOf(path);
	const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.tmp`);
	onName(basename(temporary));
	await writeFile(temporary, content);
	await chmod(temporary, mode);
	onName(basename(path));
	await rename(temporary, path);
}

/**
 * GNU `sed -i` (execute.c: open_next_file, then closedown): creates
 * `sedXXXXXX` with mkostemp in the file's directory (mode 0600), gives it the
 * file's mode, writes the edited text, renames it over the file.
 */
async function saveLikeSedInPlace(path: string, content: string, onName: OnName = ignoreName): Promise<void> {
	const mode = await modeOf(path);
	const temporary = join(dirname(path), `sed${randomName(6)}`);
	onName(basename(temporary));
	const handle = await open(temporary, 'wx', 0o600);
	await handle.chmod(mode);
	await handle.writeFile(content);
	await handle.close();
	onName(basename(path));
	await rename(temporary, path);
}

/**
 * A plain write in place: `echo ... > x.erl`, nano, VS Code's default save.
 * The file is truncated (a watcher may see it empty), then written.
 */
async function saveInPlace(path: string, content: string, onName: OnName = ignoreName): Promise<void> {
	onName(basename(path));
	await writeFile(path, content);
}

/**
 * `git checkout` / `git pull` bringing many files at once (entry.c,
 * checkout_entry): each changed file, in index (name) order, is unlinked and
 * created anew (O_CREAT | O_EXCL), written and closed, one after the other
 * with nothing in between. git's own lock files live in `.git/`, outside a
 * watched source tree.
 */
export async function gitCheckout(directory: string, files: Readonly<Record<string, string>>, onName: OnName = ignoreName): Promise<void> {
	for (const name of Object.keys(files).sort()) {
		const path = join(directory, name);
		onName(name);
		await unlink(path).catch((error: unknown) => {
			if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
				throw error;
			}
		});
		const handle = await open(path, 'wx', 0o666);
		await handle.writeFile(files[name] ?? '');
		await handle.close();
	}
}

/** vim's swap file for `path` while it is edited: `.x.erl.swp`, or `.swo`, ... when that one is taken. */
async function createVimSwap(path: string, onName: OnName): Promise<string> {
	for (const extension of ['swp', 'swo', 'swn', 'swm']) {
		const swap = join(dirname(path), `.${basename(path)}.${extension}`);
		if (!await exists(swap)) {
			onName(basename(swap));
			// A swap file starts with "b0VIM" and the version; only its presence matters here.
			await writeFile(swap, 'b0VIM 9.0', {flag: 'wx'});
			return swap;
		}
	}
	throw new Error(`Every vim swap file name for ${path} is taken`);
}

async function freeVimProbe(directory: string): Promise<string> {
	for (let number = 4913; ; number += 123) {
		const probe = join(directory, String(number));
		if (!await exists(probe)) {
			return probe;
		}
	}
}

async function modeOf(path: string): Promise<number> {
	return (await stat(path)).mode & 0o7777;
}

async function exists(path: string): Promise<boolean> {
	return lstat(path).then(() => true, () => false);
}

const NAME_CHARACTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Like mkstemp's `XXXXXX`: letters and digits. */
function randomName(length: number): string {
	return [...randomBytes(length)].map(byte => NAME_CHARACTERS[byte % NAME_CHARACTERS.length]).join('');
}

function ignoreName(): void {
	// No one asked which names were touched.
}
