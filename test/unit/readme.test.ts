import {access, readdir, readFile} from 'node:fs/promises';
import {dirname, join, relative} from 'node:path';
import {fileURLToPath} from 'node:url';
import test from 'ava';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const README = join(ROOT, 'README.md');
const DOCS = join(ROOT, 'docs');
/** The README is for a user's first minutes; the long references live in docs/. */
const README_MAX_LINES = 220;

/** The markdown files whose links must hold: the README and every page under docs/. */
async function documents(): Promise<string[]> {
	const pages = (await readdir(DOCS)).filter(name => name.endsWith('.md')).map(name => join(DOCS, name));
	return [README, ...pages];
}

/** Inline link and image targets, outside fenced code blocks and code spans. */
function linkTargets(markdown: string): string[] {
	const prose = markdown
		.replaceAll(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '')
		.replaceAll(/`[^`\n]*`/g, '');
	return [...prose.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map(match => match[1] ?? '');
}

/** GitHub's anchors: each heading lowercased, punctuation dropped, spaces as hyphens. */
function headingAnchors(markdown: string): Set<string> {
	const prose = markdown.replaceAll(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '');
	return new Set([...prose.matchAll(/^#{1,6}\s+(.+?)\s*#*$/gm)].map(match => (match[1] ?? '')
		.toLowerCase()
		.replaceAll(/[^\p{L}\p{N}\s_-]/gu, '')
		.replaceAll(' ', '-')));
}

/** A link to another file of this repository: not a URL, not a mailto, not an anchor on the same page. */
function isRelative(target: string): boolean {
	return !/^[a-z][a-z0-9+.-]*:/i.test(target) && !target.startsWith('#') && !target.startsWith('/');
}

test(`the README stays under ${README_MAX_LINES} lines`, async t => {
	const lines = (await readFile(README, 'utf8')).trimEnd().split('\n').length;
	t.true(lines < README_MAX_LINES, `README.md has ${lines} lines; move references to docs/ and link them`);
});

test('every relative link in README.md and docs/*.md points to a file that exists', async t => {
	const broken: string[] = [];
	let checked = 0;
	for (const file of await documents()) {
		for (const target of linkTargets(await readFile(file, 'utf8')).filter(isRelative)) {
			const path = decodeURIComponent(target.split('#')[0] ?? '');
			const resolved = join(dirname(file), path);
			checked += 1;
			try {
				await access(resolved);
			} catch {
				broken.push(`${relative(ROOT, file)}: (${target}) → ${relative(ROOT, resolved)} does not exist`);
			}
		}
	}
	t.deepEqual(broken, []);
	t.true(checked > 0, 'found no relative links at all: the link pattern is broken');
});

test('every #anchor into a markdown page names one of its headings', async t => {
	const broken: string[] = [];
	for (const file of await documents()) {
		const text = await readFile(file, 'utf8');
		for (const target of linkTargets(text).filter(link => link.includes('#') && (link.startsWith('#') || isRelative(link)))) {
			const [path = '', anchor = ''] = target.split('#');
			if (path !== '' && !path.endsWith('.md')) {
				continue;
			}
			const page = path === '' ? file : join(dirname(file), decodeURIComponent(path));
			const anchors = headingAnchors(page === file ? text : await readFile(page, 'utf8').catch(() => ''));
			if (!anchors.has(anchor)) {
				broken.push(`${relative(ROOT, file)}: (${target}) has no heading "#${anchor}"`);
			}
		}
	}
	t.deepEqual(broken, []);
});

test('the README links every page under docs/', async t => {
	const readme = linkTargets(await readFile(README, 'utf8'));
	const pages = (await readdir(DOCS)).filter(name => name.endsWith('.md'));
	const unlinked = pages.filter(page => !readme.some(target => target.split('#')[0] === `docs/${page}`));
	t.deepEqual(unlinked, [], 'a docs page the README does not link is hard to find');
});

test('headingAnchors makes GitHub\'s anchors', t => {
	const anchors = headingAnchors('# Title\n## Running as a service\n### `/status` and `/healthz`\n```\n# not a heading\n```\n');
	t.deepEqual([...anchors], ['title', 'running-as-a-service', 'status-and-healthz']);
});

test('linkTargets skips code and finds inline links and images', t => {
	const markdown = [
		'See [a](docs/a.md), [b](docs/b.md#part "title") and ![c](<img/c.png>).',
		'`[not](a/link.md)` is code.',
		'```sh',
		'[not](either.md)',
		'```',
		'[web](https://example.org) [here](#anchor)',
	].join('\n');
	t.deepEqual(linkTargets(markdown), ['docs/a.md', 'docs/b.md#part', 'img/c.png', 'https://example.org', '#anchor']);
	t.deepEqual(linkTargets(markdown).filter(isRelative), ['docs/a.md', 'docs/b.md#part', 'img/c.png']);
});
