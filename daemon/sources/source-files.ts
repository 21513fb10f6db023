import {basename} from 'node:path';
import {isModuleName} from '../modules/module-name.ts';

/** What a written path is to "save to live": a module to compile, or a header whose includers are. */
export type SourceFile = {readonly kind: 'module'; readonly module: string} | {readonly kind: 'header'};

interface TemporaryName {
	readonly writer: string;
	readonly name: RegExp;
}

/**
 * Names editors and installers give the files they write beside a source while
 * saving it. None of these is a source, whatever it ends in: compiling one
 * would load a half-written or stale module, or fail on a module name that
 * does not match the file. Most of them fail the module-name rule below as
 * well (a leading dot or `#`, a suffix after `.erl`); they are listed anyway
 * so this table says what each name is and stays right if that rule widens.
 * Those that pass it (git mergetool's copies) are caught only here. Every
 * pattern is free of nested repetition, so a hostile name costs linear time.
 */
const TEMPORARY_NAMES: readonly TemporaryName[] = [
	// Any dotfile: vim's swap files (`.x.erl.swp`, `.swo`, ..., `.swpx`), emacs'
	// lock symlinks (`.#x.erl`), atomic writers' temp files (`.x.erl.tmp`,
	// `.x.erl.XXXXXX` from rsync, gedit's `.goutputstream-XXXXXX`, VS Code's),
	// kate's `.x.erl.kate-swp`. A module's file never starts with a dot.
	{writer: 'dotfile', name: /^\./},
	// vim with backupcopy=auto creates `4913` (then 5036, 5159, ... while taken)
	// to learn whether it may rename the file; an all-digit name is never a source.
	{writer: 'vim probe', name: /^\d+$/},
	// vim's swap files when 'directory' puts them beside the file without a dot.
	{writer: 'vim swap', name: /\.sw[a-p]x?$/},
	// vim's and emacs' backups `x.erl~`, emacs' numbered ones `x.erl.~1~`.
	{writer: 'backup', name: /~$/},
	// emacs' auto-save file `#x.erl#`, written while a buffer is modified.
	{writer: 'emacs auto-save', name: /^#.*#$/},
	// JetBrains' safe write: new content in `x.erl___jb_tmp___`, the old file
	// parked as `x.erl___jb_old___` (`___jb_bak___` in older versions).
	{writer: 'JetBrains safe write', name: /___jb_(?:tmp|old|bak)___$/},
	// Atomic writers that put the temp file beside the target without a dot:
	// `x.erl.tmp`, `x.erl.tmp.123`, VS Code's own `x.erl.vsctmp`.
	{writer: 'atomic write', name: /\.(?:tmp|vsctmp)(?:\.\w+)?$/},
	// GNU `sed -i` writes its output to `sedXXXXXX` (mkostemp) in the same directory.
	{writer: 'sed -i', name: /^sed\w{6}$/},
	// git: `x.erl.orig` from a merge or patch (and `.rej`), `x.lock` lock files,
	// and git mergetool's copies `x_BASE_1234.erl` (also BACKUP, LOCAL, REMOTE),
	// which end in `.erl` but hold a module named `x`.
	{writer: 'git', name: /\.(?:orig|rej|lock)$/},
	{writer: 'git mergetool', name: /_(?:BACKUP|BASE|LOCAL|REMOTE)_\d+\.[eh]rl$/},
	// Backups by hand and by nano (`x.erl.save` after an emergency exit).
	{writer: 'backup copy', name: /\.(?:bak|save)(?:\.\d+)?$/},
];

/**
 * `/src/mod_a.erl` → module `mod_a`, `/include/logger.hrl` → header; undefined
 * for an editor's temporary or backup file and anything else. The name before
 * the extension follows the rule for beams (isModuleName): a `.erl` file's
 * name is its module's, and a header named like one is sane enough.
 */
export function sourceFileOf(path: string): SourceFile | undefined {
	const file = basename(path);
	if (TEMPORARY_NAMES.some(({name}) => name.test(file))) {
		return undefined;
	}
	const kind = file.endsWith('.erl') ? 'module' : file.endsWith('.hrl') ? 'header' : undefined;
	const name = file.slice(0, -'.erl'.length);
	if (kind === undefined || !isModuleName(name)) {
		return undefined;
	}
	return kind === 'module' ? {kind, module: name} : {kind};
}
