/**
 * What ejabberdctl and mod_http_api say after `update`, per ejabberd version.
 * 23.01 says nothing (an empty line, or `""` over HTTP) whatever happened;
 * 24.12 says `Updated: M` or `Not updated: M` for one module and
 * `Updated modules: a, b` or `No modules updated` for `all`. Pure: a line it
 * does not know is ignored, so the raw text stays the record's and the
 * verification (update_list again) decides.
 */
export function readUpdateSaid(text: string): Map<string, 'updated' | 'notUpdated'> {
	const said = new Map<string, 'updated' | 'notUpdated'>();
	for (const line of text.split('\n').map(part => part.trim())) {
		const one = /^(Not updated|Updated): (\S+)$/.exec(line);
		if (one !== null) {
			said.set(one[2] ?? '', one[1] === 'Updated' ? 'updated' : 'notUpdated');
			continue;
		}
		const many = /^Updated modules: (.+)$/.exec(line);
		for (const module of many?.[1]?.split(',').map(part => part.trim()).filter(part => part !== '') ?? []) {
			said.set(module, 'updated');
		}
	}
	return said;
}

/** `ejabberdctl status` (and mod_http_api's `status`) says `ejabberd 23.01-1 is running in that node`: the version, or undefined. */
export function readStatusVersion(text: string): string | undefined {
	return /ejabberd (\S+) is running in that node/.exec(text)?.[1];
}
