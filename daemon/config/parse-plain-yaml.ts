import {isAlias, isMap, isPair, isScalar, isSeq, parseDocument} from 'yaml';
import {escapeUntrusted} from '../errors.ts';

/**
 * The config is plain data: mappings, lists, strings, numbers, booleans and
 * null. YAML can say more (`!!binary` gives a Buffer, `!!set` a Set, `!!omap`
 * a Map, `!!timestamp` a Date, custom tags whatever they like), and the
 * schema would then report a Buffer's methods as unknown keys. Such a value is
 * refused here instead, by its tag and key path.
 */
export interface PlainYaml {
	/** The document as plain data; undefined when there are problems. */
	readonly value: unknown;
	/** One line per value that is not plain data: `api.token: the YAML tag !!binary is not supported; write a plain string`. */
	readonly problems: readonly string[];
}

const CORE = 'tag:yaml.org,2002:';

/** The tags a plain scalar may carry, and what its value must then be. */
const SCALAR_TAGS: Readonly<Record<string, (value: unknown) => boolean>> = {
	[`${CORE}str`]: value => typeof value === 'string',
	[`${CORE}int`]: value => typeof value === 'number' && Number.isInteger(value),
	[`${CORE}float`]: value => typeof value === 'number',
	[`${CORE}bool`]: value => typeof value === 'boolean',
	[`${CORE}null`]: value => value === null,
};

/** What to write instead of a tagged value, by what the tag was for. */
const INSTEAD: Readonly<Record<string, string>> = {
	[`${CORE}binary`]: 'write a plain string',
	[`${CORE}timestamp`]: 'write a plain string',
	[`${CORE}set`]: 'write a plain list',
	[`${CORE}omap`]: 'write a plain mapping',
	[`${CORE}pairs`]: 'write a plain mapping',
};

/** A bomb of aliases (billion laughs) stops here rather than filling memory. */
const MAX_ALIAS_COUNT = 100;

type PathPart = string | number;

/**
 * Parse one YAML document into plain data. A syntax error (or an alias bomb)
 * throws yaml's own error, whose message quotes the offending line.
 */
export function parsePlainYaml(text: string): PlainYaml {
	const document = parseDocument(text, {prettyErrors: true, uniqueKeys: true});
	const [syntaxError] = document.errors;
	if (syntaxError !== undefined) {
		throw syntaxError;
	}
	const problems: string[] = [];
	checkNode(document.contents, [], problems);
	if (problems.length > 0) {
		return {value: undefined, problems};
	}
	const value: unknown = document.toJS({maxAliasCount: MAX_ALIAS_COUNT});
	// Belt and braces: whatever the tags, only plain data goes on.
	checkPlainValue(value, [], problems);
	return {value: problems.length === 0 ? value : undefined, problems};
}

/** The YAML tree, before it becomes JavaScript: tags are seen as written. */
function checkNode(node: unknown, path: readonly PathPart[], problems: string[]): void {
	if (node === null || node === undefined || isAlias(node)) {
		// An alias is checked where its anchor is defined.
		return;
	}
	if (isScalar(node)) {
		const tag = node.tag;
		if (tag === undefined) {
			return;
		}
		const fits = SCALAR_TAGS[tag];
		if (fits === undefined) {
			problems.push(`${formatPath(path)}: the YAML tag ${showTag(tag)} is not supported; ${INSTEAD[tag] ?? 'write the value without the tag'}`);
		} else if (!fits(node.value)) {
			problems.push(`${formatPath(path)}: the YAML tag ${showTag(tag)} does not fit its value; write the value without the tag`);
		}
		return;
	}
	if (isMap(node)) {
		checkCollectionTag(node.tag, `${CORE}map`, 'write a plain mapping', path, problems);
		for (const pair of node.items) {
			checkPair(pair.key, pair.value, path, problems);
		}
		return;
	}
	if (isSeq(node)) {
		checkCollectionTag(node.tag, `${CORE}seq`, 'write a plain list', path, problems);
		node.items.forEach((item, index) => {
			if (isPair(item)) {
				checkPair(item.key, item.value, [...path, index], problems);
			} else {
				checkNode(item, [...path, index], problems);
			}
		});
		return;
	}
	problems.push(`${formatPath(path)}: this kind of YAML node is not supported; write plain data`);
}

function checkPair(key: unknown, value: unknown, path: readonly PathPart[], problems: string[]): void {
	if (isScalar(key)) {
		checkNode(key, path, problems);
		checkNode(value, [...path, String(key.value)], problems);
		return;
	}
	if (isAlias(key)) {
		checkNode(value, [...path, '*alias'], problems);
		return;
	}
	// `? [a]` or `? {a: 1}` as a key: a JavaScript object would stringify it.
	problems.push(`${formatPath(path)}: a key that is a list or a mapping is not supported; write a plain string key`);
}

function checkCollectionTag(tag: string | undefined, plain: string, instead: string, path: readonly PathPart[], problems: string[]): void {
	if (tag !== undefined && tag !== plain) {
		problems.push(`${formatPath(path)}: the YAML tag ${showTag(tag)} is not supported; ${INSTEAD[tag] ?? instead}`);
	}
}

function checkPlainValue(value: unknown, path: readonly PathPart[], problems: string[]): void {
	if (value === null || typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number')) {
		return;
	}
	if (Array.isArray(value)) {
		value.forEach((item, index) => {
			checkPlainValue(item, [...path, index], problems);
		});
		return;
	}
	if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
		for (const [key, inner] of Object.entries(value)) {
			checkPlainValue(inner, [...path, key], problems);
		}
		return;
	}
	const what = typeof value === 'object' ? (value.constructor?.name ?? 'object') : typeof value;
	problems.push(`${formatPath(path)}: YAML gave a value of type ${escapeUntrusted(what)}, which is not plain data; write a plain value`);
}

/** `!!binary` for the core tags, as written for the others (escaped: it comes from the file). */
function showTag(tag: string): string {
	return escapeUntrusted(tag.startsWith(CORE) ? `!!${tag.slice(CORE.length)}` : tag, 60);
}

/** `api.token`, `watch[0]`, as the config's other problems name keys. */
function formatPath(path: readonly PathPart[]): string {
	if (path.length === 0) {
		return '(top level)';
	}
	return path
		.map((key, index) => (typeof key === 'number' ? `[${key}]` : `${index === 0 ? '' : '.'}${escapeUntrusted(key, 60)}`))
		.join('');
}
