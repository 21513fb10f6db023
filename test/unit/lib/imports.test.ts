import {readdir, readFile} from 'node:fs/promises';
import {dirname, join, relative, resolve, sep} from 'node:path';
import {fileURLToPath} from 'node:url';
import test from 'ava';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const LIB = join(ROOT, 'daemon', 'lib');

async function sourceFiles(dir: string): Promise<string[]> {
	const entries = await readdir(dir, {withFileTypes: true});
	const nested = await Promise.all(entries.map(async entry => {
		const path = join(dir, entry.name);
		return entry.isDirectory() ? sourceFiles(path) : (/\.[cm]?tsx?$|\.[cm]?js$/.test(entry.name) ? [path] : []);
	}));
	return nested.flat();
}

/** Every module specifier: static imports and re-exports, `import type`, dynamic `import()` and `require()`. */
function specifiers(source: string): string[] {
	const found: string[] = [];
	for (const pattern of [
		/^\s*(?:import|export)\b[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/gm,
		/^\s*import\s*['"]([^'"]+)['"]/gm,
		/\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
		/\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
	]) {
		for (const match of source.matchAll(pattern)) {
			found.push(match[1] ?? '');
		}
	}
	return found;
}

test('the scanner sees every form of import', t => {
	t.deepEqual(specifiers([
		'import {a} from \'./a.ts\';',
		'import type {B} from "../b.ts";',
		'export {c} from \'./c.ts\';',
		'import {\n\td,\n\te,\n} from \'../../errors.ts\';',
		'import \'./side-effect.ts\';',
		'const f = await import(\'./f.ts\');',
	].join('\n')).sort(), ['../../errors.ts', '../b.ts', './a.ts', './c.ts', './f.ts', './side-effect.ts']);
});

test('no file under daemon/lib/ imports anything outside daemon/lib/ but node: built-ins', async t => {
	const files = await sourceFiles(LIB);
	t.true(files.length > 20, `only ${files.length} files found under ${LIB}`);
	const outside: string[] = [];
	for (const file of files) {
		for (const specifier of specifiers(await readFile(file, 'utf8'))) {
			if (specifier.startsWith('node:')) {
				continue;
			}
			const target = specifier.startsWith('.') ? resolve(dirname(file), specifier) : undefined;
			if (target === undefined || !(target === LIB || target.startsWith(LIB + sep))) {
				outside.push(`${relative(ROOT, file)} imports ${specifier}`);
			}
		}
	}
	t.deepEqual(outside, []);
});

test('erlang-term imports nothing from erlang-dist (only itself and untrusted-text, for quoting peer bytes)', async t => {
	const term = join(LIB, 'erlang-term');
	const untrusted = join(LIB, 'untrusted-text');
	const offenders: string[] = [];
	for (const file of await sourceFiles(term)) {
		for (const specifier of specifiers(await readFile(file, 'utf8'))) {
			const target = resolve(dirname(file), specifier);
			if (specifier.startsWith('.') && !target.startsWith(term + sep) && !target.startsWith(untrusted + sep)) {
				offenders.push(`${relative(ROOT, file)} imports ${specifier}`);
			}
		}
	}
	t.deepEqual(offenders, []);
});
