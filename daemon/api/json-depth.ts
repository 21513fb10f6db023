/**
 * How deeply a JSON text nests, read from its brackets without parsing it,
 * stopping as soon as it passes `limit` (then `limit + 1`). Brackets inside
 * strings do not count. A module list nests two deep at most; a body nested
 * thousands deep is refused before JSON.parse and the error messages that
 * show values (both of which recurse) ever see it.
 */
export function jsonDepth(text: string, limit = Number.POSITIVE_INFINITY): number {
	let depth = 0;
	let deepest = 0;
	let inString = false;
	for (let index = 0; index < text.length; index++) {
		const code = text.charCodeAt(index);
		if (inString) {
			if (code === BACKSLASH) {
				index++;
			} else if (code === QUOTE) {
				inString = false;
			}
			continue;
		}
		if (code === QUOTE) {
			inString = true;
		} else if (code === OPEN_BRACKET || code === OPEN_BRACE) {
			depth++;
			if (depth > deepest) {
				deepest = depth;
				if (deepest > limit) {
					return deepest;
				}
			}
		} else if (code === CLOSE_BRACKET || code === CLOSE_BRACE) {
			depth--;
		}
	}
	return deepest;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5C;
const OPEN_BRACKET = 0x5B;
const CLOSE_BRACKET = 0x5D;
const OPEN_BRACE = 0x7B;
const CLOSE_BRACE = 0x7D;
