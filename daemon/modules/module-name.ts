import {basename} from 'node:path';
import {ReloaderError, describeValue} from '../errors.ts';

/**
 * Names that may be sent to the node. ejabberd turns what it receives into atoms
 * (`list_to_atom`), which are never garbage collected, so only plain module
 * names pass: letters, digits, `_`, `@` and `.` (ELDAPv3, 'Elixir.Foo'), at most
 * 255 characters, starting with a letter.
 */
const MODULE_NAME = /^[A-Za-z][A-Za-z0-9_@.]{0,254}$/;

export function isModuleName(name: string): boolean {
	return MODULE_NAME.test(name);
}

export function assertModuleName(name: unknown): string {
	if (typeof name !== 'string' || !isModuleName(name)) {
		throw new ReloaderError('ERR_MODULE_NAME', `Expected an Erlang module name (a letter, then letters, digits, _ @ or .; at most 255), got ${describeValue(name)}`, {
			hint: 'Name the module as its beam file is named, without `.beam`.',
		});
	}
	return name;
}

/** `/x/ebin/mod_a.beam` → `mod_a`; undefined for anything that is not a plainly named beam. */
export function moduleOfBeamPath(path: string): string | undefined {
	const file = basename(path);
	if (!file.endsWith('.beam')) {
		return undefined;
	}
	const name = file.slice(0, -'.beam'.length);
	return isModuleName(name) ? name : undefined;
}
